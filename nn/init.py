"""Weight initializers (the slides on parameter initialization), each filling a Tensor's
numbers in place and returning it.

Our weights have shape (in_features, out_features), the slides' Z = X·W + B, so for a
2-D weight fan_in = shape[0] and fan_out = shape[1] (PyTorch's Linear stores the
transpose and reads them the other way round). The second argument of N is the
standard deviation; each uniform U(-r, r) has the same variance as its normal partner
(r = √3 · std):

    lecun_normal_    N(0, 1/√fan_in)                 the slides' "standard" init
    lecun_uniform_   U(±√(3/fan_in))                 (the slides' other "standard" form,
                                                      U(±1/√fan_in), PyTorch's Linear default,
                                                      is uniform_(w, -1/√n, 1/√n))
    xavier_normal_   N(0, gain·√(2/(fan_in+fan_out)))   Glorot; for tanh, sigmoid
    xavier_uniform_  U(±gain·√(6/(fan_in+fan_out)))
    he_normal_       N(0, √(2/((1+a²)·fan_in)))       MSRA/He; for ReLU (a = 0) and
    he_uniform_      U(±√(6/((1+a²)·fan_in)))         Leaky ReLU with slope a

plus ``zeros_``, ``constant_``, ``normal_(mean, std)`` and ``uniform_(a, b)``. Every
random one takes ``rng``: a ``numpy.random.Generator`` or an int seed. A Tensor keeps
its dtype (float32 stays float32). Biases start at 0 (``zeros_``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .inputs import real_number
from .rng import as_generator


def _array(tensor: Any, what: str) -> np.ndarray:
    """The array to fill: a Tensor's ``.data`` or a float numpy array itself."""
    data = tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "data", None)
    if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
        raise TypeError(f"{what}: tensor must be a Tensor or a float numpy array (it is filled), got {type(tensor).__name__}")
    return data


def fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (in_features, out_features)."""
    if not isinstance(tensor, np.ndarray) and not isinstance(getattr(tensor, "data", None), np.ndarray):
        raise TypeError(f"fan_in and fan_out: tensor must be a Tensor or a numpy array, got {type(tensor).__name__}")
    shape = np.shape(tensor if isinstance(tensor, np.ndarray) else tensor.data)
    if len(shape) != 2 or 0 in shape:
        raise ValueError(
            "fan_in and fan_out need a 2-D weight tensor of shape (in_features, out_features), both >= 1, "
            f"got shape {shape}"
        )
    return shape[0], shape[1]


def _fill(tensor: Any, values: np.ndarray, what: str) -> Any:
    _array(tensor, what)[...] = values
    return tensor


def zeros_(tensor: Any, rng: Any = None) -> Any:
    """Every entry 0. (``rng`` is accepted, as by every initializer, and not needed.)"""
    return _fill(tensor, 0.0, "zeros_")


def constant_(tensor: Any, value: float, rng: Any = None) -> Any:
    """Every entry ``value``. (``rng`` is accepted, as by every initializer, and not needed.)"""
    return _fill(tensor, real_number(value, "constant_", "value"), "constant_")


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, rng: Any = None) -> Any:
    """Entries drawn from N(mean, std) (std the standard deviation)."""
    mean = real_number(mean, "normal_", "mean")
    std = real_number(std, "normal_", "std", low=0.0)
    shape = _array(tensor, "normal_").shape
    return _fill(tensor, as_generator(rng, "normal_").normal(mean, std, shape), "normal_")


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0, rng: Any = None) -> Any:
    """Entries drawn from U(a, b)."""
    a, b = real_number(a, "uniform_", "a"), real_number(b, "uniform_", "b")
    if not a <= b:
        raise ValueError(f"uniform_: needs a <= b, got a={a!r}, b={b!r}")
    if not np.isfinite(b - a):
        raise ValueError(f"uniform_: the range b - a is too wide for a float, got a={a!r}, b={b!r}")
    shape = _array(tensor, "uniform_").shape
    return _fill(tensor, as_generator(rng, "uniform_").uniform(a, b, shape), "uniform_")


def _symmetric_uniform_(tensor: Any, bound: float, rng: Any) -> Any:
    return uniform_(tensor, -bound, bound, rng=rng)


def lecun_normal_(tensor: Any, rng: Any = None) -> Any:
    """N(0, 1/√fan_in): the slides' "standard" initialization (variance 1/fan_in)."""
    fan_in, _ = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, 1.0 / math.sqrt(fan_in), rng=rng)


def lecun_uniform_(tensor: Any, rng: Any = None) -> Any:
    """U(-r, r) with r = √(3/fan_in): variance 1/fan_in, as lecun_normal_."""
    fan_in, _ = fan_in_and_fan_out(tensor)
    return _symmetric_uniform_(tensor, math.sqrt(3.0 / fan_in), rng)


def xavier_normal_(tensor: Any, gain: float = 1.0, rng: Any = None) -> Any:
    """Xavier/Glorot: N(0, gain·√(2/(fan_in + fan_out)))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    gain = real_number(gain, "xavier_normal_", "gain", low=0.0)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


def xavier_uniform_(tensor: Any, gain: float = 1.0, rng: Any = None) -> Any:
    """Xavier/Glorot: U(-r, r) with r = gain·√(6/(fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    gain = real_number(gain, "xavier_uniform_", "gain", low=0.0)
    return _symmetric_uniform_(tensor, gain * math.sqrt(6.0 / (fan_in + fan_out)), rng)


def he_normal_(tensor: Any, negative_slope: float = 0.0, rng: Any = None) -> Any:
    """MSRA/He: N(0, √(2/((1 + a²)·fan_in))), a the Leaky ReLU slope (0 for ReLU)."""
    fan_in, _ = fan_in_and_fan_out(tensor)
    negative_slope = real_number(negative_slope, "he_normal_", "negative_slope")
    return normal_(tensor, 0.0, math.sqrt(2.0 / ((1.0 + negative_slope * negative_slope) * fan_in)), rng=rng)


def he_uniform_(tensor: Any, negative_slope: float = 0.0, rng: Any = None) -> Any:
    """MSRA/He: U(-r, r) with r = √(6/((1 + a²)·fan_in)). (The slide's upper bound
    √(6/n_out) is a typo: the distribution is symmetric.)"""
    fan_in, _ = fan_in_and_fan_out(tensor)
    negative_slope = real_number(negative_slope, "he_uniform_", "negative_slope")
    return _symmetric_uniform_(tensor, math.sqrt(6.0 / ((1.0 + negative_slope * negative_slope) * fan_in)), rng)


WEIGHT_INITIALIZERS = {
    "zeros": zeros_,
    "lecun_normal": lecun_normal_,
    "lecun_uniform": lecun_uniform_,
    "xavier_normal": xavier_normal_,
    "xavier_uniform": xavier_uniform_,
    "he_normal": he_normal_,
    "he_uniform": he_uniform_,
}

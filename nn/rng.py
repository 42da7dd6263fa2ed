"""The random generator a layer, an initializer, a mask or a shuffle draws from.

Every random draw in ``nn`` takes ``rng``: a ``numpy.random.Generator`` (drawn from as it
is), an int seed (a new generator seeded with it), or None, the default: nn's global
generator, seeded with 0 when ``nn`` is imported and reseeded by ``nn.manual_seed(n)``
(PyTorch's name). So a script that builds ``nn.Linear(2, 3)`` draws the same weights every
time it runs, and ``nn.manual_seed(1)`` before building a model gives another
reproducible start. The global generator is shared by the whole process: draws from
several threads interleave in no fixed order, so give each thread its own ``rng``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

DEFAULT_SEED = 0
_global = np.random.default_rng(DEFAULT_SEED)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed nn's global generator (what every ``rng=None`` draws from); returns it.

    ``nn.manual_seed(0)`` puts it back where ``import nn`` left it. The generator is
    reseeded in place, so a ``Dropout`` built earlier with ``rng=None`` follows too."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be >= 0, got {seed!r}")
    _global.bit_generator.state = np.random.default_rng(int(seed)).bit_generator.state
    return _global


def global_generator() -> np.random.Generator:
    """nn's global generator, the one ``rng=None`` stands for."""
    return _global


def as_generator(rng: Any, owner: str) -> np.random.Generator:
    """``rng`` itself (a ``numpy.random.Generator``), a new generator seeded with it (an
    int), or nn's global generator (None; see ``manual_seed``)."""
    if rng is None:
        return _global
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{owner}: rng, an int seed, must be >= 0, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{owner}: rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )

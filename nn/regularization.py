"""L1 and L2 penalties (the slides on regularization): structural risk = empirical risk + penalty.

    l1_penalty = λ‖θ‖₁ = λ Σ|θ_i|
    l2_penalty = ½λ‖θ‖² = ½λ Σ θ_i²   (gradient λθ: weight decay, θ ← (1 - ηλ)θ - η∇L)

``params`` is a module, its ``named_parameters()`` (name, parameter) pairs, or a list of
parameters. Biases are left out, as the slides advise, unless ``include_bias=True``.
``lam`` is a finite number >= 0 (NaN, infinity or a negative λ is refused).

How a bias is recognized: by its name, the last dotted part that is not a list index,
being ``bias`` or ``b`` (any case), optionally followed by digits: ``"0.bias"``,
``"layers.1.neurons.0.b"`` (the scalar MLP), ``"B2"``. A parameter in a plain list has
no name, so its ``label`` is read instead (``nn.Linear`` labels its parameters
"weight" and "bias"); an unnamed, unlabelled parameter counts as a weight. Shape is not
used: a 1-D weight vector (linear regression's w) is a weight. BatchNorm's γ is named
"weight" and so is penalized; its β is named "bias" and is not.
"""

from __future__ import annotations

import re
from typing import Any

from autodiff import Value

from .inputs import real_number

_BIAS_NAME = re.compile(r"(bias|b)\d*", re.IGNORECASE)


def is_bias(name: str) -> bool:
    """True for a bias's name: its last non-numeric dotted part is bias/b (+ digits), any case."""
    parts = [part for part in name.split(".") if not part.isdigit()]
    return bool(parts) and _BIAS_NAME.fullmatch(parts[-1]) is not None


def _named(params: Any, owner: str) -> list[tuple[str, Any]]:
    """(name, parameter) pairs from a module, named pairs, or a list (names from labels)."""
    if hasattr(params, "named_parameters"):
        return list(params.named_parameters())
    if hasattr(params, "data") and hasattr(params, "grad"):
        raise TypeError(f"{owner}: params must be a module or a list of parameters, not one: use [p]")
    pairs = []
    for i, item in enumerate(params):
        named = isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
        name, p = item if named else ("", item)
        if not (hasattr(p, "data") and hasattr(p, "grad")):
            raise TypeError(f"{owner}: item {i} is a {type(p).__name__}, not a parameter (Tensor or Value)")
        pairs.append((name or getattr(p, "label", ""), p))
    return pairs


def penalized(params: Any, include_bias: bool = False, owner: str = "penalty") -> list:
    """The parameters a penalty covers: all of them, or all but the biases."""
    chosen = [p for name, p in _named(params, owner) if include_bias or not is_bias(name)]
    if not chosen:
        raise ValueError(f"{owner}: no parameters to penalize (biases are left out unless include_bias=True)")
    return chosen


def _total(terms: list) -> Any:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def l1_penalty(params: Any, lam: float = 1.0, include_bias: bool = False) -> Any:
    """λ‖θ‖₁ = λ Σ|θ_i| over the weights (and the biases with ``include_bias=True``)."""
    lam = real_number(lam, "l1_penalty", "lam", low=0.0)
    chosen = penalized(params, include_bias, "l1_penalty")
    return lam * _total([p.abs() if isinstance(p, Value) else p.abs().sum() for p in chosen])


def l2_penalty(params: Any, lam: float = 1.0, include_bias: bool = False) -> Any:
    """½λ‖θ‖² = ½λ Σ θ_i² over the weights (and the biases with ``include_bias=True``); gradient λθ."""
    lam = real_number(lam, "l2_penalty", "lam", low=0.0)
    chosen = penalized(params, include_bias, "l2_penalty")
    return (0.5 * lam) * _total([p * p if isinstance(p, Value) else (p * p).sum() for p in chosen])

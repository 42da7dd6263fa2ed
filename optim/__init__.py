"""optim: update rules, gradient clipping and the exponentially weighted average.

Every rule is the course's unified update, Δθ_t = -α_t φ_t / √(ψ_t + ε), for a choice of
first-moment estimate φ and second-moment estimate ψ built from the shared pieces in
``moments.py`` (``UpdateRule`` puts them together):

    SGD       φ = g (or PyTorch's momentum buffer)    ψ = 1
    Momentum  φ = EMA(g)                              ψ = 1
    NAG       the classic velocity, gradient at the look-ahead point
    Adagrad   φ = g                                   ψ = Σ g²
    RMSprop   φ = g                                   ψ = EMA(g²)
    Adadelta  φ = g                                   ψ = EMA(g²), lr → RMS of past updates
    Adam      φ = EMA(g), bias-corrected              ψ = EMA(g²), bias-corrected

Defaults and results are PyTorch's (``torch.optim``, float64, to 1e-12); the slides'
variants are documented switches. Parameters are anything with ``.data`` and ``.grad``:
Values and Tensors.

Two modules beside them: ``optim.schedules``, every learning-rate schedule of the slides (step,
exponential, cosine, warmup, cyclic, ...) as a callable ``schedule(t) -> float`` to pass as
``lr``, and ``optim.search``, random and coarse-to-fine hyperparameter search (log-scale
sampling, trials in parallel) on any ``concurrent.futures.Executor``.
"""

from . import schedules, search
from .adaptive import Adadelta, Adagrad, Adam, AdamW, RMSprop
from .clip import clip_grad_norm_, clip_grad_norm_per_param_, clip_grad_value_
from .ema import EMA
from .momentum import NAG, SGD, Momentum
from .optimizer import Optimizer
from .update_rule import UpdateRule

__all__ = [
    "Optimizer",
    "UpdateRule",
    "SGD",
    "Momentum",
    "NAG",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "clip_grad_value_",
    "clip_grad_norm_",
    "clip_grad_norm_per_param_",
    "EMA",
    "schedules",
    "search",
]

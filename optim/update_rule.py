"""``UpdateRule``: the slides' unified update formula, one step for one parameter.

    g   ← g + λθ                                      (coupled weight decay, L2)
    θ   ← (1 - α_t λ) θ                               (or decoupled weight decay, AdamW)
    d_t = φ_t / (√ψ_t + ε)                            (PyTorch: ε outside the root)
    d_t = φ_t / √(ψ_t + ε)                            (``eps_inside_sqrt``: two lectures' form)
    d_t = φ_t                                         (ψ = 1: SGD, Momentum)
    d_t ← stage(d_t) for each of ``then``             (RMSprop's momentum, AdaDelta's scale,
                                                       AdaGrad's lr_decay)
    θ   ← θ - α_t d_t

An optimizer is a choice of these fields (see ``momentum.py`` and ``adaptive.py``):
SGD takes φ = g and ψ = 1, Momentum φ = EMA(g), RMSprop ψ = EMA(g²), Adam both.

Where the learning rate goes matters once it changes between steps. PyTorch multiplies
the result of the stages by α_t, so a momentum buffer of past gradients is scaled by the
current lr as a whole. The slides' classic momentum and NAG put the lr inside the
velocity, v_t = ρ v_{t-1} + α_t g_t, θ ← θ - v_t, so each gradient keeps the lr of its own
step: ``lr_inside_momentum`` multiplies by α_t before the stages instead of after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .moments import Estimate, Gradient


@dataclass(frozen=True)
class UpdateRule:
    """The choices that make a rule; ``update`` applies them to one parameter."""

    phi: Estimate = Gradient()
    psi: Estimate | None = None
    eps: float = 0.0
    eps_inside_sqrt: bool = False
    then: tuple[Estimate, ...] = ()
    lr_inside_momentum: bool = False
    weight_decay: float = 0.0
    decoupled_weight_decay: bool = False

    def denominator(self, psi: Any) -> Any:
        """√ψ + ε, or √(ψ + ε) with ``eps_inside_sqrt``."""
        return np.sqrt(psi + self.eps) if self.eps_inside_sqrt else np.sqrt(psi) + self.eps

    def update(self, theta: Any, grad: Any, state: dict, lr: float, t: int) -> Any:
        """θ after the t-th step (t = 1, 2, ...) of this parameter with learning rate ``lr``."""
        if self.weight_decay:
            if self.decoupled_weight_decay:
                theta = theta * (1 - lr * self.weight_decay)
            else:
                grad = grad + self.weight_decay * theta
        direction = self.phi(state, grad, t)
        if self.psi is not None:
            direction = direction / self.denominator(self.psi(state, grad, t))
        if self.lr_inside_momentum:
            direction = lr * direction
        for stage in self.then:
            direction = stage(state, direction, t)
        step = direction if self.lr_inside_momentum else lr * direction
        return theta - step

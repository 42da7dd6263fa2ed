"""The pieces every update rule is built from: running estimates of a parameter's gradients.

The unified formula of the lecture on parameter tuning reads every rule as one update,

    Δθ_t = -α_t · M_t / √(G_t + ε),   M_t = φ(g_1, ..., g_t),   G_t = ψ(g_1, ..., g_t)

with a choice of first-moment estimate φ (which way to go) and second-moment estimate ψ
(how to scale each coordinate's step). The pieces below are those choices:

    φ: ``Gradient`` (g_t itself), ``ExponentialAverage`` of g (Momentum, Adam),
       ``HeavyBall`` (PyTorch's momentum buffer, SGD)
    ψ: ``Accumulator`` of g² (AdaGrad), ``ExponentialAverage`` of g² (RMSprop, Adam,
       AdaDelta), ``Centered`` (variance instead of raw second moment)
    wrappers: ``BiasCorrected`` (divide by 1 - β^t), ``RunningMax`` (AMSGrad)
    after the division: ``HeavyBall`` again (RMSprop's momentum), ``UpdateScale`` (AdaDelta),
       ``StepDecay`` (AdaGrad's lr_decay)

A piece is called once per step as ``piece(state, x, t)`` with that step's value x (the
gradient, or the direction so far when used after the division) and the step number
t = 1, 2, ...; it keeps what it needs in the parameter's ``state`` dict under its own
key (PyTorch's name for the same buffer) and returns its estimate. Pieces hold only
hyperparameters, so a rule builds them afresh at every step from its current settings.
All arithmetic works on floats (Values) and numpy arrays (Tensors) alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .ema import bias_correction, ema_update, ema_update_of_square


class Estimate(Protocol):
    """What every piece is: ``piece(state, x, t) -> estimate``, remembering in ``state``."""

    def __call__(self, state: dict, x: Any, t: int) -> Any: ...


@dataclass(frozen=True)
class Gradient:
    """φ_t = g_t: the current value itself, nothing remembered (SGD, AdaGrad, RMSprop)."""

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        return x


@dataclass(frozen=True)
class ExponentialAverage:
    """v_t = β v_{t-1} + (1 - β) x_t, v_0 = 0; of x_t² when ``squared``.

    Of g it is Momentum's φ; of g² it is RMSprop's ψ; Adam uses both.
    """

    key: str
    beta: float
    squared: bool = False

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        update = ema_update_of_square if self.squared else ema_update
        average = update(state.get(self.key, 0.0), x, self.beta)
        state[self.key] = average
        return average


@dataclass(frozen=True)
class BiasCorrected:
    """v̂_t = v_t / (1 - β^t): an average started at v_0 = 0, rescaled by the weight it has seen."""

    average: Estimate
    beta: float

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        return self.average(state, x, t) / bias_correction(self.beta, t)


@dataclass(frozen=True)
class RunningMax:
    """m_t = max(m_{t-1}, v_t), m_0 = 0: the largest estimate so far, so ψ never shrinks (AMSGrad)."""

    key: str
    estimate: Estimate

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        largest = np.maximum(state.get(self.key, 0.0), self.estimate(state, x, t))
        state[self.key] = largest
        return largest


@dataclass(frozen=True)
class Accumulator:
    """r_t = r_{t-1} + x_t (x_t² when ``squared``), r_0 = ``initial``: AdaGrad's ψ, never forgetting."""

    key: str
    initial: float = 0.0
    squared: bool = True

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        total = state.get(self.key, self.initial) + (x * x if self.squared else x)
        state[self.key] = total
        return total


@dataclass(frozen=True)
class Centered:
    """E[g²] - (E[g])²: the variance of g rather than its raw second moment (centered RMSprop)."""

    second_moment: Estimate
    mean: Estimate

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        second = self.second_moment(state, x, t)
        mean = self.mean(state, x, t)
        return second - mean * mean


@dataclass(frozen=True)
class HeavyBall:
    """PyTorch's momentum buffer: b_1 = x_1, b_t = μ b_{t-1} + (1 - d) x_t.

    Returns b_t, or x_t + μ b_t with ``nesterov`` (PyTorch's reparametrized Nesterov).
    Unrolled (d = 0), b_t = Σ_τ μ^(t-τ) x_τ: a sum, not an average, so the step grows to
    about 1/(1 - μ) times the gradient's. The first step takes x_1 whole, undamped: that is
    why SGD(dampening=β) is not the EMA form of Momentum.
    """

    key: str
    momentum: float
    dampening: float = 0.0
    nesterov: bool = False

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        if self.key in state:
            buffer = self.momentum * state[self.key] + (1 - self.dampening) * x
        else:
            buffer = x
        state[self.key] = buffer
        return x + self.momentum * buffer if self.nesterov else buffer


@dataclass(frozen=True)
class StepDecay:
    """x_t / (1 + (t - 1)·d): AdaGrad's ``lr_decay`` d, so its step size is
    α_t = lr / (1 + (t - 1)·d). t is this parameter's own step count, as in PyTorch: a
    parameter that had no gradient at some updates has decayed less than the others.
    """

    decay: float

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        return x / (1 + (t - 1) * self.decay)


@dataclass(frozen=True)
class UpdateScale:
    """AdaDelta's unit correction, in place of a learning rate (the MNIST
    workshop: "r replaces the lr").

    Δ_t = √(r_{t-1} + ε) · d_t, then r_t = ρ r_{t-1} + (1 - ρ) Δ_t²: the direction d_t is
    scaled by the root mean square of the past updates, so Δθ has θ's units.
    """

    key: str
    rho: float
    eps: float

    def __call__(self, state: dict, x: Any, t: int) -> Any:
        previous = state[self.key] if self.key in state else np.zeros_like(x)  # x's dtype, as PyTorch
        update = np.sqrt(previous + self.eps) * x
        state[self.key] = ema_update_of_square(previous, update, self.rho)
        return update

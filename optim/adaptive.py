"""Adaptive learning rates: AdaGrad, RMSprop, AdaDelta, Adam, AdamW.

Each divides the step by a per-coordinate ψ built from g⊙g (the ψ of the unified update
Δθ_t = -α_t φ_t / √(ψ_t + ε)), so coordinates with
large gradients take smaller steps and flat ones larger:

    AdaGrad   ψ = Σ g²            (a sum: the steps only ever shrink)
    RMSprop   ψ = EMA(g²)         (an average: old gradients fade)
    AdaDelta  ψ = EMA(g²), and the lr replaced by the RMS of the past updates
    Adam      φ = EMA(g), ψ = EMA(g²), both bias-corrected: Momentum's φ + RMSprop's ψ

Defaults are PyTorch's; the slides' variants are switches: ``eps_inside_sqrt=True``
divides by √(ψ + ε), as the lectures on optimization algorithms and on parameter tuning
write it, instead of √ψ + ε (the MNIST workshop and PyTorch).
"""

from __future__ import annotations

from typing import Any, Iterable

from .moments import (
    Accumulator,
    BiasCorrected,
    Centered,
    ExponentialAverage,
    HeavyBall,
    RunningMax,
    StepDecay,
    UpdateScale,
)
from .optimizer import LearningRate, Optimizer, decay_rate, decay_rates, flag, nonnegative
from .update_rule import UpdateRule


class Adagrad(Optimizer):
    """AdaGrad: φ = g, ψ = r_t = r_{t-1} + g⊙g (r_0 = ``initial_accumulator_value``).

    θ ← θ - α_t g / (√r_t + ε), with α_t = lr / (1 + (t - 1)·lr_decay) (PyTorch's lr_decay),
    t the parameter's own step count (the updates at which it had a gradient), as in PyTorch.
    Slides: the MNIST workshop writes ε + √r with ε = 1e-6 (the same formula: pass eps=1e-6);
    the lecture on parameter tuning puts ε inside the root, √(r_t + ε): ``eps_inside_sqrt=True``.
    """

    checks = {
        "lr_decay": nonnegative,
        "weight_decay": nonnegative,
        "initial_accumulator_value": nonnegative,
        "eps": nonnegative,
        "eps_inside_sqrt": flag,
    }

    def __init__(
        self,
        params: Iterable[Any],
        lr: LearningRate = 0.01,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        eps_inside_sqrt: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            eps_inside_sqrt=eps_inside_sqrt,
        )

    def rule(self) -> UpdateRule:
        return UpdateRule(
            psi=Accumulator("sum", self.initial_accumulator_value),
            eps=self.eps,
            eps_inside_sqrt=self.eps_inside_sqrt,
            then=(StepDecay(self.lr_decay),) if self.lr_decay else (),
            weight_decay=self.weight_decay,
        )


class RMSprop(Optimizer):
    """RMSprop: φ = g, ψ = r_t = α r_{t-1} + (1 - α) g⊙g, r_0 = 0.  θ ← θ - lr·g / (√r_t + ε).

    ``centered``: ψ = r_t - m_t² with m_t = EMA(g), the variance of g.
    ``momentum`` μ: b_t = μ b_{t-1} + g/(√r_t + ε), θ ← θ - lr·b_t (the heavy ball of SGD,
    run on the divided direction).
    Slides: the MNIST workshop uses α = 0.9, ε = 1e-8, lr = 0.001 (this formula); the lecture
    on optimization algorithms has no ε (eps=0); the lecture on parameter tuning puts ε inside
    the root: ``eps_inside_sqrt=True``. PyTorch: α = 0.99.
    """

    checks = {
        "alpha": decay_rate,
        "eps": nonnegative,
        "weight_decay": nonnegative,
        "momentum": nonnegative,
        "centered": flag,
        "eps_inside_sqrt": flag,
    }

    def __init__(
        self,
        params: Iterable[Any],
        lr: LearningRate = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        eps_inside_sqrt: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            eps_inside_sqrt=eps_inside_sqrt,
        )

    def rule(self) -> UpdateRule:
        psi = ExponentialAverage("square_avg", self.alpha, squared=True)
        if self.centered:
            psi = Centered(psi, ExponentialAverage("grad_avg", self.alpha))
        then = (HeavyBall("momentum_buffer", self.momentum),) if self.momentum else ()
        return UpdateRule(
            psi=psi,
            eps=self.eps,
            eps_inside_sqrt=self.eps_inside_sqrt,
            then=then,
            weight_decay=self.weight_decay,
        )


class Adadelta(Optimizer):
    """AdaDelta: ψ = s_t = ρ s_{t-1} + (1 - ρ) g⊙g, and the RMS of past updates instead of an lr.

    Δ_t = √(r_{t-1} + ε) / √(s_t + ε) · g_t;  θ ← θ - lr·Δ_t;  r_t = ρ r_{t-1} + (1 - ρ) Δ_t⊙Δ_t.
    The slides (the lecture on parameter tuning, the MNIST workshop) have no lr, which is
    PyTorch's default lr = 1.0; the workshop uses ε = 1e-5, ρ = 0.9. Both put ε inside the
    roots.
    """

    checks = {"rho": decay_rate, "eps": nonnegative, "weight_decay": nonnegative}

    def __init__(
        self,
        params: Iterable[Any],
        lr: LearningRate = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, rho=rho, eps=eps, weight_decay=weight_decay)

    def rule(self) -> UpdateRule:
        return UpdateRule(
            psi=ExponentialAverage("square_avg", self.rho, squared=True),
            eps=self.eps,
            eps_inside_sqrt=True,
            then=(UpdateScale("acc_delta", self.rho, self.eps),),
            weight_decay=self.weight_decay,
        )


class Adam(Optimizer):
    """Adam: Momentum's φ and RMSprop's ψ, each bias-corrected.

    m_t = β1 m_{t-1} + (1 - β1) g_t;   v_t = β2 v_{t-1} + (1 - β2) g_t⊙g_t;
    m̂_t = m_t / (1 - β1^t);  v̂_t = v_t / (1 - β2^t);  θ ← θ - α_t m̂_t / (√v̂_t + ε).

    ``amsgrad``: divide by the largest v_t so far (then corrected) so steps never grow back.
    ``weight_decay`` adds λθ to the gradient (L2); ``AdamW`` decouples it.
    Slides: the MNIST workshop is this formula with these defaults; the lectures on
    optimization algorithms and on parameter tuning put ε inside the root, √(v̂_t + ε):
    ``eps_inside_sqrt=True`` (and the parameter-tuning lecture uses β2 = 0.99).
    """

    checks = {
        "betas": decay_rates,
        "eps": nonnegative,
        "weight_decay": nonnegative,
        "amsgrad": flag,
        "eps_inside_sqrt": flag,
    }
    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: LearningRate = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        eps_inside_sqrt: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            eps_inside_sqrt=eps_inside_sqrt,
        )

    def rule(self) -> UpdateRule:
        beta1, beta2 = self.betas
        first = ExponentialAverage("exp_avg", beta1)  # Momentum's φ
        second = ExponentialAverage("exp_avg_sq", beta2, squared=True)  # RMSprop's ψ
        if self.amsgrad:
            second = RunningMax("max_exp_avg_sq", second)
        return UpdateRule(
            phi=BiasCorrected(first, beta1),
            psi=BiasCorrected(second, beta2),
            eps=self.eps,
            eps_inside_sqrt=self.eps_inside_sqrt,
            weight_decay=self.weight_decay,
            decoupled_weight_decay=self.decoupled_weight_decay,
        )


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← (1 - α_t λ) θ before Adam's step, instead of
    adding λθ to the gradient (where Adam's division would shrink the decay along with g)."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: LearningRate = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
        *,
        eps_inside_sqrt: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, eps_inside_sqrt=eps_inside_sqrt)

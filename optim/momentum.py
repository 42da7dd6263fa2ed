"""Gradient descent with and without momentum: SGD, Momentum (EMA form), NAG (look-ahead).

Three ways to write momentum appear in the course:

- PyTorch's ``SGD(momentum=μ)``: b_t = μ b_{t-1} + (1 - d) g_t (b_1 = g_1), θ ← θ - α_t b_t.
- The slides' EMA form (the lecture on optimization algorithms), ``Momentum``:
  v_t = β v_{t-1} + (1 - β) g_t, v_0 = 0, θ ← θ - α v_t. Since v_t = (1 - β) b_t, it is
  SGD(lr = α(1 - β), momentum = β) exactly.
- The slides' classic form (the lecture on parameter tuning, the MNIST workshop),
  ``Momentum(form="classic")``: v_t = ρ v_{t-1} + η_t g_t, θ ← θ - v_t. The same as
  SGD(lr = η, momentum = ρ) while the lr is constant; under a schedule each gradient keeps
  its own step's lr, where PyTorch rescales the whole buffer by the current one.

``NAG`` is the classic form with the gradient taken at the look-ahead point θ - ρ v.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .moments import ExponentialAverage, Gradient, HeavyBall
from .optimizer import LearningRate, Optimizer, decay_rate, flag, nonnegative, one_of, same_type_as
from .update_rule import UpdateRule


def classic_momentum(rho: float) -> UpdateRule:
    """v_t = ρ v_{t-1} + α_t g_t, θ ← θ - v_t: the lr goes into the velocity (classic form)."""
    return UpdateRule(then=(HeavyBall("velocity", rho),), lr_inside_momentum=True)


class SGD(Optimizer):
    """PyTorch's SGD: φ = g, or the momentum buffer b_t = μ b_{t-1} + (1 - d) g_t; ψ = 1.

    θ ← θ - α_t b_t, with b_1 = g_1 (the first step is not damped). ``nesterov=True``
    steps along g_t + μ b_t instead, PyTorch's rewriting of Nesterov's method whose
    iterates are the look-ahead points of ``NAG``. ``weight_decay`` λ adds λθ to the
    gradient, which for SGD is the slides' weight decay θ ← (1 - αλ)θ - α g.
    """

    checks = {
        "momentum": nonnegative,
        "dampening": nonnegative,
        "weight_decay": nonnegative,
        "nesterov": flag,
    }

    def __init__(
        self,
        params: Iterable[Any],
        lr: LearningRate,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(
            params, lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )

    def check_hyperparameters(self) -> None:
        super().check_hyperparameters()
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, "
                f"got momentum={self.momentum!r}, dampening={self.dampening!r}"
            )

    def rule(self) -> UpdateRule:
        if self.momentum:
            phi = HeavyBall("momentum_buffer", self.momentum, self.dampening, self.nesterov)
        else:
            phi = Gradient()
        return UpdateRule(phi=phi, weight_decay=self.weight_decay)


class Momentum(Optimizer):
    """Momentum in the EMA form of the lecture on optimization algorithms: φ = EMA(g), ψ = 1.

    v_t = β v_{t-1} + (1 - β) g_t, v_0 = 0;  θ ← θ - α v_t.  (β = 0.9: about 10 steps)

    Equal to ``SGD(lr=α(1 - β), momentum=β)``, not to ``SGD(lr=α, momentum=β,
    dampening=β)`` (whose first step takes g_1 undamped). v is Adam's first moment
    without the bias correction, and kept under the same name, ``exp_avg``.

    ``form="classic"`` is the slides' other form (the lecture on parameter tuning, the MNIST
    workshop): v_t = β v_{t-1} + α_t g_t, θ ← θ - v_t, the velocity kept as ``velocity``.
    """

    checks = {"beta": decay_rate, "form": one_of("ema", "classic")}

    def __init__(self, params: Iterable[Any], lr: LearningRate, beta: float = 0.9, form: str = "ema") -> None:
        super().__init__(params, lr, beta=beta, form=form)

    def rule(self) -> UpdateRule:
        if self.form == "classic":
            return classic_momentum(self.beta)
        return UpdateRule(phi=ExponentialAverage("exp_avg", self.beta))


class NAG(Optimizer):
    """Nesterov's accelerated gradient in the slides' look-ahead form.

    θ̂ = θ_{t-1} - ρ v_{t-1};  g_t = ∇J(θ̂);  v_t = ρ v_{t-1} + η g_t;  θ_t = θ_{t-1} - v_t.

    The gradient is needed at θ̂, not at θ, so ``step`` requires a closure: it moves the
    parameters to θ̂, calls the closure (which must zero the gradients, compute the loss,
    call ``backward()`` and return the loss), moves them back and applies the update.
    PyTorch's ``SGD(nesterov=True)`` tracks θ̂ instead of θ: its iterates are this
    method's look-ahead points θ_t - ρ v_t while the lr is constant.
    """

    checks = {"momentum": nonnegative}

    def __init__(self, params: Iterable[Any], lr: LearningRate, momentum: float = 0.9) -> None:
        super().__init__(params, lr, momentum=momentum)

    def rule(self) -> UpdateRule:
        return classic_momentum(self.momentum)

    def look_ahead(self, p: Any) -> Any:
        """θ̂ = θ - ρ v for parameter p (θ itself before the first step)."""
        velocity = self.state[p].get("velocity")
        return p.data if velocity is None else p.data - self.momentum * velocity

    def evaluate(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            raise TypeError(
                "NAG.step needs a closure: a function that zeroes the gradients, computes the loss, "
                "calls backward() and returns the loss (NAG takes the gradient at the look-ahead point)"
            )
        here = [p.data for p in self.params]
        for p in self.params:
            p.data = same_type_as(self.look_ahead(p), p.data)
        try:
            loss = super().evaluate(closure)
        finally:
            for p, data in zip(self.params, here):
                p.data = data
        if loss is None:
            raise ValueError("NAG.step: the closure returned nothing; it must return the loss it computed")
        return loss

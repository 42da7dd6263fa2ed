"""Learning-rate schedules: each a small object called with the step, ``lr = schedule(t)``.

The formulas are the course's: most from the lecture on parameter tuning (piecewise, inverse
time, exponential, cosine, warmup, cyclic, SGDR), step and linear decay from the slides on
neural-network optimization, 1/(1 + decay·epoch) from the lecture on optimization algorithms.

t counts updates from 0: the k-th update (k = 0, 1, ...) uses ``schedule(k)``, PyTorch's
convention, which is what ``Optimizer(params, lr=schedule)`` does. A schedule is a pure
function of t (the same t always gives the same lr, whatever was asked before), so it can
be plotted, checked against its formula and sent to another process. α0 is the initial
learning rate:

    constant            α_t = α0
    step_decay          α_t = α0 γ^⌊t / k⌋                       PyTorch StepLR
    multistep_decay     α_t = α0 γ^(number of milestones <= t)     PyTorch MultiStepLR
    piecewise_constant  α_t = α0 β_i from step T_i on (β_0 = 1)
    inverse_time_decay  α_t = α0 / (1 + β t)
    exponential_decay   α_t = α0 γ^t                               PyTorch ExponentialLR
    natural_exp_decay   α_t = α0 exp(-β t)
    cosine_decay        α_t = α_min + ½(α0 - α_min)(1 + cos(π t / T)), α_min after T
                                                                   PyTorch CosineAnnealingLR (t <= T)
    linear_decay        α_t = α0 + (α_end - α0) min(t, T) / T      PyTorch LinearLR
    warmup              a linear ramp for T' steps, then another schedule from its step 0
    cyclic              triangular cycles between two bounds      PyTorch CyclicLR
    sgdr                cosine decay restarted every T_i steps     PyTorch CosineAnnealingWarmRestarts
    per_epoch           another schedule, advanced once per epoch
    sequence            several schedules one after another        PyTorch SequentialLR

Where the slides and PyTorch differ, each docstring says what is implemented:
``cosine_decay`` holds α_min after T (PyTorch rises again), ``warmup`` does not start at
lr 0 unless asked (the slide's (t/T')·α0 does), and ``cyclic`` and ``sgdr`` take the
slide's ``decay`` of the bounds at each cycle (PyTorch only through LambdaLR).

The names are lower case because they read as the formula they stand for
(``cosine_decay(0.1, total_steps=100)``); each is a small class, a ``Schedule``, so it has
a readable repr and can be pickled. Nonsense arguments raise an error that names the
argument and its value.
"""

from __future__ import annotations

import abc
import bisect
import math
import numbers
from typing import Any, Callable, Iterable, Sequence

from autodiff import checks

LrFunction = Callable[[int], float]  # anything that maps a step to a learning rate


class Schedule(abc.ABC):
    """A learning rate as a pure function of the step: ``schedule(t)`` for an integer t >= 0.

    A subclass computes the rate in ``lr_at(t)`` (t already checked) and lists its
    constructor arguments in ``fields``, which make the repr.
    """

    fields: tuple[str, ...] = ()

    def __call__(self, t: int) -> float:
        if isinstance(t, bool) or not isinstance(t, numbers.Integral):
            raise TypeError(f"{self!r}: the step t must be an integer, got {t!r}")
        if t < 0:
            raise ValueError(f"{self!r}: the step t must be >= 0, got {t}")
        return float(self.lr_at(int(t)))

    @abc.abstractmethod
    def lr_at(self, t: int) -> float:
        """The learning rate of step t (an int >= 0)."""

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields)
        return f"{type(self).__name__}({args})"

    # -- argument checks: each returns the value, or raises naming the argument -------

    def _number(self, name: str, value: Any, low: float = -math.inf, high: float = math.inf,
                low_open: bool = False, high_open: bool = False) -> float:
        """``value`` as a float, after checking it is a finite number in the given interval."""
        owner = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if not math.isfinite(value) or too_low or too_high:
            interval = _interval(low, high, low_open, high_open)
            raise ValueError(f"{owner}: {name} must be {interval}, got {value!r}")
        return float(value)

    def _integer(self, name: str, value: Any, minimum: int) -> int:
        """``value`` as an int, after checking it is an integer >= ``minimum``."""
        owner = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
        if value < minimum:
            raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
        return int(value)

    def _steps(self, name: str, values: Iterable[Any]) -> tuple[int, ...]:
        """Step numbers >= 1 in strictly increasing order, as a tuple."""
        owner = type(self).__name__
        try:
            steps = tuple(values)
        except TypeError:
            raise TypeError(f"{owner}: {name} must be a list of step numbers, got {values!r}") from None
        for value in steps:
            self._integer(f"each of {name}", value, 1)
        if any(a >= b for a, b in zip(steps, steps[1:])):
            raise ValueError(f"{owner}: {name} must be strictly increasing, got {list(steps)!r}")
        return tuple(int(s) for s in steps)

    def _schedule(self, name: str, value: Any) -> LrFunction:
        if not callable(value):
            raise TypeError(
                f"{type(self).__name__}: {name} must be a schedule (a function of the step), got {value!r}"
            )
        return value


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if high == math.inf:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


# -- decays ------------------------------------------------------------------------------


class constant(Schedule):
    """α_t = α0 at every step."""

    fields = ("lr",)

    def __init__(self, lr: float) -> None:
        self.lr = self._number("lr", lr, low=0)

    def lr_at(self, t: int) -> float:
        return self.lr


class step_decay(Schedule):
    """α_t = α0 · γ^⌊t / step_size⌋: multiply by γ every ``step_size`` steps (step decay).

    PyTorch's ``StepLR(step_size, gamma)``. γ is in (0, 1]: to divide by 10, pass 0.1.
    """

    fields = ("lr", "step_size", "gamma")

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        self.lr = self._number("lr", lr, low=0)
        self.step_size = self._integer("step_size", step_size, 1)
        self.gamma = self._number("gamma", gamma, low=0, high=1, low_open=True)

    def lr_at(self, t: int) -> float:
        return self.lr * self.gamma ** (t // self.step_size)


class multistep_decay(Schedule):
    """α_t = α0 · γ^(number of milestones <= t): multiply by γ at each milestone.

    PyTorch's ``MultiStepLR(milestones, gamma)``. The slides' ResNet recipe, ×0.1 at
    epochs 30, 60 and 90, is ``per_epoch(multistep_decay(lr, [30, 60, 90]), steps_per_epoch)``.
    """

    fields = ("lr", "milestones", "gamma")

    def __init__(self, lr: float, milestones: Sequence[int], gamma: float = 0.1) -> None:
        self.lr = self._number("lr", lr, low=0)
        self.milestones = self._steps("milestones", milestones)
        self.gamma = self._number("gamma", gamma, low=0, high=1, low_open=True)

    def lr_at(self, t: int) -> float:
        return self.lr * self.gamma ** bisect.bisect_right(self.milestones, t)


class piecewise_constant(Schedule):
    """α_t = α0 · β_i for T_i <= t < T_{i+1}, and α0 before T_1 (piecewise constant).

    After T_1, T_2, ..., T_m steps (``boundaries``) the rate becomes β_1, β_2, ..., β_m
    (``factors``) times the *initial* rate: unlike ``multistep_decay`` the factors do not
    compound. ``piecewise_constant(1.0, [10, 20], [0.5, 0.1])`` gives 1, then 0.5 from step
    10, then 0.1 from step 20.
    """

    fields = ("lr", "boundaries", "factors")

    def __init__(self, lr: float, boundaries: Sequence[int], factors: Sequence[float]) -> None:
        self.lr = self._number("lr", lr, low=0)
        self.boundaries = self._steps("boundaries", boundaries)
        if not checks.collection(factors):
            raise TypeError(f"piecewise_constant: factors must be a list of numbers > 0, got {factors!r}")
        self.factors = tuple(self._number("each of factors", f, low=0, low_open=True) for f in factors)
        if len(self.factors) != len(self.boundaries):
            raise ValueError(
                f"piecewise_constant: boundaries and factors must have the same length, got "
                f"{len(self.boundaries)} boundaries and {len(self.factors)} factors"
            )

    def lr_at(self, t: int) -> float:
        piece = bisect.bisect_right(self.boundaries, t)  # how many boundaries t has passed
        return self.lr * (self.factors[piece - 1] if piece else 1.0)


class inverse_time_decay(Schedule):
    """α_t = α0 / (1 + β t), β = ``decay_rate`` (the slides' inverse time decay).

    The lecture on optimization algorithms decays per epoch, α = α0 / (1 + decay_rate · epoch):
    ``per_epoch(inverse_time_decay(lr, decay_rate), steps_per_epoch)``.
    """

    fields = ("lr", "decay_rate")

    def __init__(self, lr: float, decay_rate: float) -> None:
        self.lr = self._number("lr", lr, low=0)
        self.decay_rate = self._number("decay_rate", decay_rate, low=0)

    def lr_at(self, t: int) -> float:
        return self.lr / (1 + self.decay_rate * t)


class exponential_decay(Schedule):
    """α_t = α0 · γ^t (β^t, β < 1, on the slides). PyTorch's ``ExponentialLR(gamma)``; γ in (0, 1]."""

    fields = ("lr", "gamma")

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr = self._number("lr", lr, low=0)
        self.gamma = self._number("gamma", gamma, low=0, high=1, low_open=True)

    def lr_at(self, t: int) -> float:
        return self.lr * self.gamma**t


class natural_exp_decay(Schedule):
    """α_t = α0 · exp(-β t), β = ``rate``: ``exponential_decay`` with γ = e^(-β)."""

    fields = ("lr", "rate")

    def __init__(self, lr: float, rate: float) -> None:
        self.lr = self._number("lr", lr, low=0)
        self.rate = self._number("rate", rate, low=0)

    def lr_at(self, t: int) -> float:
        return self.lr * math.exp(-self.rate * t)


class cosine_decay(Schedule):
    """α_t = α_min + ½(α0 - α_min)(1 + cos(π t / T)) for t <= T, and α_min after T.

    T = ``total_steps``. With α_min = 0 this is the slides' ½ α0 (1 + cos(tπ/T)). The same
    as PyTorch's ``CosineAnnealingLR(T_max=T, eta_min=α_min)`` for t <= T; after T this
    one is *held at α_min*, where PyTorch's rises again (a cosine of period 2T). For
    restarts use ``sgdr``.
    """

    fields = ("lr", "total_steps", "lr_min")

    def __init__(self, lr: float, total_steps: int, lr_min: float = 0.0) -> None:
        self.lr = self._number("lr", lr, low=0)
        self.total_steps = self._integer("total_steps", total_steps, 1)
        self.lr_min = self._number("lr_min", lr_min, low=0, high=self.lr)

    def lr_at(self, t: int) -> float:
        if t >= self.total_steps:
            return self.lr_min
        return self.lr_min + 0.5 * (self.lr - self.lr_min) * (1 + math.cos(math.pi * t / self.total_steps))


class linear_decay(Schedule):
    """α_t = α0 + (α_end - α0) · min(t, T) / T: a straight line from α0 down to α_end over T
    steps, then α_end (the slides' linear decay).

    PyTorch's ``LinearLR(start_factor=1, end_factor=α_end/α0, total_iters=T)``.
    """

    fields = ("lr", "total_steps", "lr_end")

    def __init__(self, lr: float, total_steps: int, lr_end: float = 0.0) -> None:
        self.lr = self._number("lr", lr, low=0)
        self.total_steps = self._integer("total_steps", total_steps, 1)
        self.lr_end = self._number("lr_end", lr_end, low=0, high=self.lr)

    def lr_at(self, t: int) -> float:
        return self.lr + (self.lr_end - self.lr) * min(t, self.total_steps) / self.total_steps


# -- wrappers of other schedules -----------------------------------------------------------


class warmup(Schedule):
    """A linear ramp up to ``schedule(0)`` over the first T' = ``warmup_steps`` steps, then
    ``schedule`` from its own step 0: α_t = schedule(t - T') for t >= T'.

    During the ramp (t < T'), by default

        α_t = schedule(0) · (t + 1) / (T' + 1),

    so the first update already moves (lr = schedule(0)/(T' + 1)) and the ramp rises in
    equal steps into schedule(0) at t = T'. That is PyTorch's
    ``LinearLR(start_factor=1/(T'+1), total_iters=T')`` followed by the schedule in a
    ``SequentialLR`` with milestone T'. ``from_zero=True`` is the slides'

        α_t = (t / T') · schedule(0),

    which is 0 at t = 0: the first update then moves nothing.
    """

    fields = ("schedule", "warmup_steps", "from_zero")

    def __init__(self, schedule: LrFunction, warmup_steps: int, from_zero: bool = False) -> None:
        self.schedule = self._schedule("schedule", schedule)
        self.warmup_steps = self._integer("warmup_steps", warmup_steps, 0)
        if not isinstance(from_zero, bool):
            raise TypeError(f"warmup: from_zero must be True or False, got {from_zero!r}")
        self.from_zero = from_zero

    def lr_at(self, t: int) -> float:
        if t >= self.warmup_steps:
            return self.schedule(t - self.warmup_steps)
        fraction = t / self.warmup_steps if self.from_zero else (t + 1) / (self.warmup_steps + 1)
        return fraction * self.schedule(0)


class per_epoch(Schedule):
    """α_t = schedule(⌊t / steps_per_epoch⌋): ``schedule`` counts epochs, not updates.

    ``per_epoch(inverse_time_decay(a0, decay_rate), 100)`` is the slides'
    α0 / (1 + decay_rate · epoch) with 100 mini-batches per epoch.
    """

    fields = ("schedule", "steps_per_epoch")

    def __init__(self, schedule: LrFunction, steps_per_epoch: int) -> None:
        self.schedule = self._schedule("schedule", schedule)
        self.steps_per_epoch = self._integer("steps_per_epoch", steps_per_epoch, 1)

    def lr_at(self, t: int) -> float:
        return self.schedule(t // self.steps_per_epoch)


class sequence(Schedule):
    """Several schedules one after another: ``sequence([(s1, n1), (s2, n2), ...])`` runs s1 for
    n1 steps, then s2 from its own step 0 for n2 steps, and so on (PyTorch's SequentialLR).

    The last schedule goes on after its count; its count may be None ("until the end").
    ``sequence([(constant(0.01), 5), (cosine_decay(0.1, 95), None)])`` is a constant
    warmup followed by a cosine decay.
    """

    fields = ("stages",)

    def __init__(self, stages: Sequence[tuple[LrFunction, int | None]]) -> None:
        if not checks.collection(stages):
            raise TypeError(f"sequence: stages must be a list of (schedule, steps) pairs, got {stages!r}")
        stages = list(stages)
        if not stages:
            raise ValueError("sequence: stages must hold at least one (schedule, steps) pair, got []")
        checked = []
        for i, stage in enumerate(stages):
            if not isinstance(stage, tuple) or len(stage) != 2:
                raise TypeError(f"sequence: stages[{i}] must be a pair (schedule, steps), got {stage!r}")
            schedule, steps = stage
            schedule = self._schedule(f"the schedule of stages[{i}]", schedule)
            if steps is not None or i < len(stages) - 1:
                steps = self._integer(f"the steps of stages[{i}]", steps, 1)
            checked.append((schedule, steps))
        self.stages = checked

    def lr_at(self, t: int) -> float:
        start = 0
        for schedule, steps in self.stages[:-1]:
            if t < start + steps:
                return schedule(t - start)
            start += steps
        return self.stages[-1][0](t - start)


# -- cycles ------------------------------------------------------------------------------


class cyclic(Schedule):
    """Triangular cycles of 2Δ steps (Δ = ``step_size`` up, Δ down) between ``base_lr`` and
    ``max_lr``: PyTorch's ``CyclicLR`` with ``step_size_up = step_size_down = Δ``, and
    the slides' triangular cycle whose bounds shrink every cycle.

    In cycle m = ⌊1 + t / (2Δ)⌋ (counting from 1), with b = |t/Δ - 2m + 1| (1 at the
    ends of the cycle, 0 at its peak):

        α_t = d^(m-1) · (base_lr + (max_lr - base_lr) · max(0, 1 - b) · s)

    where the amplitude scale s is set by ``mode``, as in PyTorch:

        "triangular"   s = 1
        "triangular2"  s = 1 / 2^(m-1): the amplitude halves every cycle, the floor stays
        "exp_range"    s = γ^t, γ = ``gamma`` in (0, 1], t the total step count

    and d = ``decay`` in (0, 1] multiplies both bounds every cycle: the slides'
    α_min^m = d^(m-1) base_lr and α_max^m = d^(m-1) max_lr, so that with "triangular"
    α_t = α_min^m + (α_max^m - α_min^m) max(0, 1 - b). PyTorch has no decay (d = 1).
    """

    fields = ("base_lr", "max_lr", "step_size", "mode", "gamma", "decay")
    modes = ("triangular", "triangular2", "exp_range")

    def __init__(self, base_lr: float, max_lr: float, step_size: int, mode: str = "triangular",
                 gamma: float = 1.0, decay: float = 1.0) -> None:
        self.base_lr = self._number("base_lr", base_lr, low=0)
        self.max_lr = self._number("max_lr", max_lr, low=0)
        if self.max_lr < self.base_lr:
            raise ValueError(f"cyclic: max_lr must be >= base_lr = {base_lr!r}, got {max_lr!r}")
        self.step_size = self._integer("step_size", step_size, 1)
        if mode not in self.modes:
            raise ValueError(f"cyclic: mode must be one of {', '.join(map(repr, self.modes))}, got {mode!r}")
        self.mode = mode
        self.gamma = self._number("gamma", gamma, low=0, high=1, low_open=True)
        if mode != "exp_range" and self.gamma != 1.0:
            raise ValueError(
                f"cyclic: gamma is used by mode 'exp_range' only, got gamma={gamma!r} with mode {mode!r}"
            )
        self.decay = self._number("decay", decay, low=0, high=1, low_open=True)

    def lr_at(self, t: int) -> float:
        cycle = t // (2 * self.step_size) + 1  # m = ⌊1 + t / 2Δ⌋
        b = abs(t / self.step_size - 2 * cycle + 1)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = 0.5 ** (cycle - 1)
        else:
            scale = self.gamma**t
        height = (self.max_lr - self.base_lr) * max(0.0, 1 - b) * scale
        return self.decay ** (cycle - 1) * (self.base_lr + height)


class sgdr(Schedule):
    """Cosine decay with warm restarts (SGDR; PyTorch's CosineAnnealingWarmRestarts).

    Cycle i = 0, 1, ... lasts T_i = T_0 · T_mult^i steps; within it, T_cur counts the steps
    since the restart and

        α_t = d^i · (lr_min + ½(lr_max - lr_min)(1 + cos(π T_cur / T_i)))

    so every cycle starts at its peak and falls towards its floor; d = ``decay`` in (0, 1]
    multiplies both bounds at each restart: the slides' α_max^m and α_min^m that fall
    with m (with lr_min = 0, only the peak). With d = 1 this is PyTorch's schedule,
    which never lowers the peak. T_mult is an integer >= 1 (the period T_m = T_{m-1}·k).
    """

    fields = ("lr_max", "T_0", "T_mult", "lr_min", "decay")

    def __init__(self, lr_max: float, T_0: int, T_mult: int = 1, lr_min: float = 0.0,
                 decay: float = 1.0) -> None:
        self.lr_max = self._number("lr_max", lr_max, low=0)
        self.T_0 = self._integer("T_0", T_0, 1)
        self.T_mult = self._integer("T_mult", T_mult, 1)
        self.lr_min = self._number("lr_min", lr_min, low=0, high=self.lr_max)
        self.decay = self._number("decay", decay, low=0, high=1, low_open=True)

    def cycle(self, t: int) -> tuple[int, int, int]:
        """(i, T_cur, T_i): which cycle step t is in, how far into it, and its length."""
        if self.T_mult == 1:
            return t // self.T_0, t % self.T_0, self.T_0
        i, start, length = 0, 0, self.T_0
        while t >= start + length:  # cycles grow geometrically: few iterations
            i, start, length = i + 1, start + length, length * self.T_mult
        return i, t - start, length

    def lr_at(self, t: int) -> float:
        i, t_cur, length = self.cycle(t)
        cosine = 0.5 * (self.lr_max - self.lr_min) * (1 + math.cos(math.pi * t_cur / length))
        return self.decay**i * (self.lr_min + cosine)


__all__ = [
    "Schedule",
    "constant",
    "step_decay",
    "multistep_decay",
    "piecewise_constant",
    "inverse_time_decay",
    "exponential_decay",
    "natural_exp_decay",
    "cosine_decay",
    "linear_decay",
    "warmup",
    "cyclic",
    "sgdr",
    "per_epoch",
    "sequence",
]

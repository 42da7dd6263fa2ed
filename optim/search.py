"""Hyperparameter search as the slides teach it: random trials, log-scale sampling, coarse to fine.

A *space* maps each hyperparameter's name to where its values come from:

- a list (or tuple) of choices, e.g. ``[16, 32, 64]``, picked uniformly;
- a sampler, any function ``f(rng) -> value`` of a numpy Generator; ``Uniform(low, high)``
  and ``LogUniform(low, high)`` are samplers that ``coarse_to_fine`` also knows how to
  narrow.

Scale parameters (learning rate, weight decay) belong on a log axis: for α in [1e-4, 1]
draw r = -4·U(0, 1) and take α = 10^r (the lecture on optimization algorithms), so every
decade gets the same share of the trials, where a uniform draw puts 90% of them in
[0.1, 1]. That is ``log_uniform``.

The objective maps a dict of parameters to a score, lower is better (a validation loss):
``objective(params) -> float``. Trials are independent, so they can run in parallel
(the lecture's "caviar" strategy, many models at once, against "panda", babysitting one):
pass any ``concurrent.futures.Executor``, e.g. a ``ProcessPoolExecutor`` or
dask.distributed's ``Client.get_executor()``. Every parameter is drawn in this process
from the seeded ``rng`` before any trial runs, so the same seed gives the same trials
whatever runs them, and samplers need not be picklable. For a process pool the
objective must be (a function defined at module level, not a lambda or a local function).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
import numbers
from typing import Any, Callable, Mapping, Sequence

import numpy as np

Space = Mapping[str, Any]  # name -> list of choices, or a sampler f(rng) -> value
Objective = Callable[[dict], float]


def generator(rng: Any, owner: str = "search") -> np.random.Generator:
    """A numpy Generator from ``rng``: None (fresh entropy), a seed (int), or a Generator."""
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"{owner}: rng must be None, an integer seed or a numpy Generator, got {rng!r}")


def _bounds(owner: str, low: Any, high: Any, positive: bool) -> tuple[float, float]:
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
        if not math.isfinite(value) or (positive and value <= 0):
            condition = " > 0" if positive else ""
            raise ValueError(f"{owner}: {name} must be a finite number{condition}, got {value!r}")
    if not low < high:
        raise ValueError(f"{owner}: low must be < high, got low={low!r}, high={high!r}")
    return float(low), float(high)


def log_uniform(low: float, high: float, size: int | tuple[int, ...] | None = None, rng: Any = None) -> Any:
    """Samples uniform on a log axis: 10^r with r ~ U(log10 low, log10 high), 0 < low < high.

    Each decade of [low, high] gets the same share of samples. A float if ``size`` is
    None, else an array of that shape. ``rng``: None, a seed or a numpy Generator.

    >>> log_uniform(1e-4, 1.0, size=3, rng=0).round(4).tolist()
    [0.0353, 0.0012, 0.0001]
    """
    low, high = _bounds("log_uniform", low, high, positive=True)
    r = generator(rng, "log_uniform").uniform(math.log10(low), math.log10(high), size=size)
    return float(10.0**r) if size is None else 10.0**r


class Uniform:
    """A sampler of floats uniform in [low, high]: ``Uniform(0.0, 0.5)(rng)``."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = _bounds(type(self).__name__, low, high, positive=False)

    def __call__(self, rng: np.random.Generator) -> float:
        return float(self.from_axis(rng.uniform(self.to_axis(self.low), self.to_axis(self.high))))

    def to_axis(self, value: float) -> float:
        """Where ``value`` sits on the axis the sampler is uniform on (the value itself here)."""
        return value

    def from_axis(self, u: float) -> float:
        return u

    def around(self, center: float, zoom: float) -> "Uniform":
        """The same kind of range, ``zoom`` times as wide on its axis, centred on ``center``
        and shifted as little as needed to stay inside this one."""
        low, high = self.to_axis(self.low), self.to_axis(self.high)
        width = zoom * (high - low)
        new_low = min(max(self.to_axis(center) - width / 2, low), high - width)
        return type(self)(self.from_axis(new_low), self.from_axis(new_low + width))

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and (other.low, other.high) == (self.low, self.high)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.low!r}, {self.high!r})"


class LogUniform(Uniform):
    """A sampler uniform on a log axis in [low, high], 0 < low < high: ``log_uniform`` as a
    space entry. ``coarse_to_fine`` narrows it on the log axis (it stays log-scale)."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = _bounds(type(self).__name__, low, high, positive=True)

    def to_axis(self, value: float) -> float:
        return math.log10(value)

    def from_axis(self, u: float) -> float:
        return 10.0**u


@dataclasses.dataclass(frozen=True)
class Trial:
    """One evaluation of the objective.

    ``params``: the hyperparameters it was given. ``score``: what the objective returned
    (lower is better), NaN if it failed. ``error``: None, or what went wrong as
    ``"TypeName: message"``, and ``error_type`` the exception's type name: rerun
    ``objective(trial.params)`` to see the traceback. ``round``: the round of
    ``coarse_to_fine`` it belongs to (0 for ``random_search``); ``number``: its place in
    the order trials were drawn.
    """

    params: dict
    score: float
    error: str | None = None
    error_type: str | None = None
    round: int = 0
    number: int = 0

    @property
    def ok(self) -> bool:
        """True when the objective returned a number (not NaN)."""
        return self.error is None


def run_trial(objective: Objective, params: dict) -> tuple[float, str | None, str | None]:
    """``(score, error, error_type)`` of one call of the objective; never raises.

    Runs where the executor puts it (a worker process, say) and returns only a float and
    strings, which any executor can send back. A score that is not a number, or is NaN
    (a diverged run), counts as a failure.
    """
    try:
        result = objective(dict(params))
        try:
            score = float(result)
        except (TypeError, ValueError):
            raise TypeError(f"the objective must return a number, got {result!r}") from None
        if math.isnan(score):
            raise FloatingPointError("the objective returned nan (a diverged run?)")
    except Exception as error:  # any failure of one trial is recorded, not fatal to the search
        kind = type(error).__name__
        return math.nan, f"{kind}: {error}", kind
    return score, None, None


def sample(space: Space, rng: np.random.Generator) -> dict:
    """One draw of every parameter of ``space``, in the space's order."""
    params = {}
    for name, source in space.items():
        if isinstance(source, (list, tuple)):
            params[name] = source[int(rng.integers(len(source)))]
        else:
            params[name] = source(rng)
    return params


def check_space(space: Any, owner: str) -> None:
    if not isinstance(space, Mapping) or not space:
        raise TypeError(
            f"{owner}: space must be a non-empty dict of name -> choices or sampler, got {space!r}"
        )
    for name, source in space.items():
        if isinstance(source, (list, tuple)):
            if not source:
                raise ValueError(f"{owner}: space[{name!r}] is an empty list of choices")
        elif not callable(source):
            raise TypeError(
                f"{owner}: space[{name!r}] must be a list of choices or a sampler f(rng) -> value, "
                f"got {source!r}"
            )


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be >= 1, got {value!r}")
    return int(value)


def ranked(trials: Sequence[Trial]) -> list[Trial]:
    """Best first: successful trials by score (ties in drawing order), then the failures."""
    return sorted(trials, key=lambda trial: (not trial.ok, trial.score if trial.ok else 0.0, trial.number))


def evaluate(objective: Objective, draws: Sequence[dict], executor: concurrent.futures.Executor | None,
             owner: str) -> list[tuple[float, str | None, str | None]]:
    """``run_trial`` on every draw: here one after another, or all submitted to ``executor``."""
    if executor is None:
        return [run_trial(objective, params) for params in draws]
    if not isinstance(executor, concurrent.futures.Executor):
        raise TypeError(f"{owner}: executor must be a concurrent.futures.Executor or None, got {executor!r}")
    futures = [executor.submit(run_trial, objective, params) for params in draws]
    results = []
    for future in futures:
        try:
            results.append(future.result())
        except Exception as error:  # the executor could not run the trial at all: no trial would run
            for other in futures:
                other.cancel()
            raise RuntimeError(
                f"{owner}: the executor could not run a trial ({type(error).__name__}: {error}); "
                "note that a process pool can only run an objective it can pickle: a function "
                "defined at module level, not a lambda or a local function"
            ) from error
    return results


def random_search(objective: Objective, space: Space, n_trials: int, rng: Any = None,
                  executor: concurrent.futures.Executor | None = None) -> list[Trial]:
    """Evaluate ``objective`` on ``n_trials`` random draws from ``space``; the trials, best first.

    Each draw samples every parameter (choices uniformly, samplers with ``rng``); all are
    drawn here, before any trial runs, so a seed fixes the trials whatever the executor.
    A trial that raises, returns something other than a number, or returns NaN is
    recorded as a failure (``error`` says why, ``score`` is NaN) and sorted after every
    success; the search goes on. ``executor``: None runs the trials here, one after
    another; any ``concurrent.futures.Executor`` runs them in parallel.

    >>> trials = random_search(lambda p: (p["x"] - 3) ** 2, {"x": Uniform(0, 10)}, 50, rng=0)
    >>> round(trials[0].params["x"], 2)
    3.0
    """
    check_space(space, "random_search")
    n_trials = _positive_int("random_search", "n_trials", n_trials)
    rng = generator(rng, "random_search")
    draws = [sample(space, rng) for _ in range(n_trials)]
    results = evaluate(objective, draws, executor, "random_search")
    trials = [
        Trial(params, score, error, error_type, number=number)
        for number, (params, (score, error, error_type)) in enumerate(zip(draws, results))
    ]
    return ranked(trials)


def narrow(space: Space, center: Mapping[str, Any], zoom: float) -> dict:
    """``space`` with every ``Uniform``/``LogUniform`` range zoomed around ``center[name]``:
    ``zoom`` times as wide on its own axis (a log range stays a log range), centred on the
    value, kept inside the old range. Choices and other samplers stay as they are."""
    return {
        name: source.around(center[name], zoom) if isinstance(source, Uniform) else source
        for name, source in space.items()
    }


def coarse_to_fine(objective: Objective, space: Space, rounds: int, n_trials: int, zoom: float = 0.3,
                   rng: Any = None, executor: concurrent.futures.Executor | None = None) -> list[Trial]:
    """Search wide, then zoom in (the slides' coarse to fine): ``rounds`` rounds of
    ``random_search`` with ``n_trials`` trials each; after every round each
    ``Uniform``/``LogUniform`` range of the space becomes ``zoom`` (in (0, 1]) times as
    wide, centred on the best trial so far (see ``narrow``). Choices lists and plain
    samplers are drawn from as they are. If no trial has succeeded yet the space stays as
    it was.

    Returns every trial of every round, best first; ``trial.round`` says which round
    (0, 1, ...) drew it and ``trial.number`` counts all trials in drawing order.
    """
    owner = "coarse_to_fine"
    check_space(space, owner)
    rounds = _positive_int(owner, "rounds", rounds)
    n_trials = _positive_int(owner, "n_trials", n_trials)
    if isinstance(zoom, bool) or not isinstance(zoom, numbers.Real) or not 0 < zoom <= 1:
        raise ValueError(f"{owner}: zoom must be a number in (0, 1], got {zoom!r}")
    rng = generator(rng, owner)
    trials: list[Trial] = []
    for round_number in range(rounds):
        found = random_search(objective, space, n_trials, rng=rng, executor=executor)
        already = len(trials)
        trials += [dataclasses.replace(t, round=round_number, number=already + t.number) for t in found]
        best = ranked(trials)[0]
        if best.ok:
            space = narrow(space, best.params, zoom)
    return ranked(trials)


__all__ = [
    "log_uniform",
    "Uniform",
    "LogUniform",
    "Trial",
    "random_search",
    "coarse_to_fine",
    "narrow",
    "run_trial",
]

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
import os
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from nn.progress import progress_bar
from .trial_log import TrialLog, as_json
from .trials import Outcome, TrialRunner, run_trial

Space = Mapping[str, Any]  # name -> list of choices, or a sampler f(rng) -> value
Objective = Callable[[dict], float]


def generator(rng: Any, owner: str = "search") -> np.random.Generator:
    """A numpy Generator from ``rng``: None (fresh entropy), a seed (int), or a Generator."""
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"{owner}: rng must be a seed >= 0 (or None, or a numpy Generator), got {rng!r}")
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


def _check_size(size: Any, owner: str) -> None:
    """``size`` as numpy takes it: None, an int >= 0 or a tuple of them (a bool is refused)."""
    if size is None:
        return
    for n in size if isinstance(size, tuple) else (size,):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{owner}: size must be None, an int or a tuple of ints, got {size!r}")
        if n < 0:
            raise ValueError(f"{owner}: size must hold ints >= 0, got {size!r}")


def log_uniform(low: float, high: float, size: int | tuple[int, ...] | None = None, rng: Any = None) -> Any:
    """Samples uniform on a log axis: 10^r with r ~ U(log10 low, log10 high), 0 < low < high.

    Each decade of [low, high] gets the same share of samples. A float if ``size`` is
    None, else an array of that shape. ``rng``: None, a seed or a numpy Generator.

    >>> log_uniform(1e-4, 1.0, size=3, rng=0).round(4).tolist()
    [0.0353, 0.0012, 0.0001]
    """
    low, high = _bounds("log_uniform", low, high, positive=True)
    _check_size(size, "log_uniform")
    r = generator(rng, "log_uniform").uniform(math.log10(low), math.log10(high), size=size)
    # 10^(log10 x) is x only to within a rounding: kept in [low, high] (0.3 came back as 0.29999999999999993)
    samples = np.clip(10.0**r, low, high)
    return float(samples) if size is None else samples


class Uniform:
    """A sampler of floats uniform in [low, high]: ``Uniform(0.0, 0.5)(rng)``."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = _bounds(type(self).__name__, low, high, positive=False)

    def __call__(self, rng: np.random.Generator) -> float:
        value = self.from_axis(rng.uniform(self.to_axis(self.low), self.to_axis(self.high)))
        return self._inside(value)

    def _inside(self, value: float) -> float:
        """``value`` kept in [low, high]: the way to the axis and back rounds (10^(log10 0.3)
        is 0.29999999999999993), and a bound may be a hard limit (a dropout rate in [0, 1])."""
        return float(min(max(value, self.low), self.high))

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
        new_high = new_low + width
        return type(self)(self._inside(self.from_axis(new_low)), self._inside(self.from_axis(new_high)))

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
    the order trials were drawn. ``status``: ``"done"``, ``"failed"`` or ``"timeout"``;
    ``duration``: the seconds it ran (NaN where nobody could time it: a worker that died).
    """

    params: dict
    score: float
    error: str | None = None
    error_type: str | None = None
    round: int = 0
    number: int = 0
    status: str = "done"
    duration: float = math.nan

    @property
    def ok(self) -> bool:
        """True when the objective returned a number (not NaN)."""
        return self.error is None


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a search. ``trials``: the trials that had finished, best first (the
    log, if one was given, has them too: pass it as ``resume=`` to go on from there)."""

    def __init__(self, trials: list[Trial], log: Any) -> None:
        where = f"; resume={os.fspath(log)!r} continues it" if log is not None else ""
        super().__init__(f"search interrupted after {len(trials)} finished trials{where}")
        self.trials = trials


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


def _check_objective(objective: Any, owner: str) -> None:
    """Every trial would fail on an objective that cannot be called: say so before the first."""
    if not callable(objective):
        raise TypeError(f"{owner}: objective must be a function of the trial's params, got {type(objective).__name__}")


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be >= 1, got {value!r}")
    return int(value)


def _check_timeout(owner: str, timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"{owner}: timeout must be a number of seconds or None, got {timeout!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"{owner}: timeout must be a finite number of seconds > 0, got {timeout!r}")
    return float(timeout)


def _rank(trial: Trial) -> tuple:
    return (not trial.ok, trial.score if trial.ok else 0.0, trial.number)


def ranked(trials: Sequence[Trial]) -> list[Trial]:
    """Best first: successful trials by score (ties in drawing order), then the failures."""
    return sorted(trials, key=_rank)


class _Search:
    """One search's machinery: the runner (here or on the executor), the log, the progress
    bar, and every finished trial, so that Ctrl-C can hand them back (``SearchInterrupted``)."""

    def __init__(self, owner: str, objective: Objective, executor: Any, total: int, timeout: Any,
                 log: Any, resume: Any, progress: Any) -> None:
        self.owner = owner
        self.runner = TrialRunner(objective, executor, _check_timeout(owner, timeout), owner)
        self.log_path = log if log is not None else resume
        self.log = TrialLog(log, resume, total, owner)
        if progress is not None and not isinstance(progress, bool):
            raise TypeError(f"{owner}: progress must be True, False or None (automatic), got {progress!r}")
        # None: a bar only where someone watches (a terminal, a live notebook); True: always
        self.bar = progress_bar(progress is not False, force=progress is True,
                                total=total, desc=owner, unit="trial")
        self.finished: list[Trial] = []

    def __enter__(self) -> "_Search":
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        self.runner.close()
        self.log.close()
        self.bar.close()
        if isinstance(error, KeyboardInterrupt) and not isinstance(error, SearchInterrupted):
            raise SearchInterrupted(ranked(self.finished), self.log_path) from error

    def _finish(self, trial: Trial) -> None:
        self.finished.append(trial)
        self.bar.update(1)
        best = min(self.finished, key=_rank)
        failed = sum(not t.ok for t in self.finished)
        self.bar.set_postfix_str(f"best {best.score:.4g}, {failed} failed" if best.ok else f"{failed} failed")

    def run_round(self, draws: Sequence[dict], round_number: int, first_number: int) -> list[Trial]:
        """Every draw as a trial: the ones the resumed log has kept, the others run now."""
        if self.log.file is not None:
            for params in draws:
                as_json(params, "params")  # a draw the log cannot hold is refused before any trial runs
        jobs, found = [], []
        for offset, params in enumerate(draws):
            number = first_number + offset
            record = self.log.kept(number, round_number, params)
            if record is None:
                jobs.append((number, params))
                continue
            trial = Trial(params, math.nan if record["score"] is None else float(record["score"]),
                          record["error"], record["error_type"], round_number, number, record["status"],
                          math.nan if record["duration"] is None else float(record["duration"]))
            found.append(trial)
            self._finish(trial)
        params_of = dict(jobs)

        def record(number: int, outcome: Outcome) -> None:
            trial = Trial(params_of[number], *outcome[:3], round=round_number, number=number,
                          status=outcome.status, duration=outcome.duration)
            self.log.write(number, round_number, trial.params, trial.score, trial.status, trial.error,
                           trial.error_type, trial.duration)
            found.append(trial)
            self._finish(trial)

        self.runner.run(jobs, record)
        return found


def random_search(objective: Objective, space: Space, n_trials: int, rng: Any = None,
                  executor: concurrent.futures.Executor | None = None, *, timeout: float | None = None,
                  log: str | os.PathLike | None = None, resume: str | os.PathLike | None = None,
                  progress: bool | None = None) -> list[Trial]:
    """Evaluate ``objective`` on ``n_trials`` random draws from ``space``; the trials, best first.

    Each draw samples every parameter (choices uniformly, samplers with ``rng``); all are
    drawn here, before any trial runs, so a seed fixes the trials whatever the executor.
    A trial that raises (``SystemExit`` included), returns something other than a number,
    or returns NaN is recorded as a failure (``error`` says why, ``score`` is NaN) and
    sorted after every success; the search goes on. ``executor``: None runs the trials
    here, one after another; any ``concurrent.futures.Executor`` runs them in parallel, and
    a worker that dies fails only the trial it was running (see ``optim.trials``).

    ``timeout``: seconds per trial; a trial past it is recorded with status ``"timeout"``
    (and stopped where it can be: not in a thread). ``log``: a file that gets one JSON line
    per trial as it finishes; ``resume``: such a file, whose trials are kept (their params
    must equal this search's draws: the same seed and space) while the rest run and are
    appended to it. ``progress``: a progress bar; None shows one only in a terminal or a
    notebook. Ctrl-C raises ``SearchInterrupted``, a KeyboardInterrupt holding the finished trials.

    >>> trials = random_search(lambda p: (p["x"] - 3) ** 2, {"x": Uniform(0, 10)}, 50, rng=0)
    >>> round(trials[0].params["x"], 2)
    3.0
    """
    owner = "random_search"
    _check_objective(objective, owner)
    check_space(space, owner)
    n_trials = _positive_int(owner, "n_trials", n_trials)
    rng = generator(rng, owner)
    draws = [sample(space, rng) for _ in range(n_trials)]
    with _Search(owner, objective, executor, n_trials, timeout, log, resume, progress) as search:
        trials = search.run_round(draws, 0, 0)
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
                   rng: Any = None, executor: concurrent.futures.Executor | None = None, *,
                   timeout: float | None = None, log: str | os.PathLike | None = None,
                   resume: str | os.PathLike | None = None, progress: bool | None = None) -> list[Trial]:
    """Search wide, then zoom in (the slides' coarse to fine): ``rounds`` rounds of
    ``random_search`` with ``n_trials`` trials each; after every round each
    ``Uniform``/``LogUniform`` range of the space becomes ``zoom`` (in (0, 1]) times as
    wide, centred on the best trial so far (see ``narrow``). Choices lists and plain
    samplers are drawn from as they are. If no trial has succeeded yet the space stays as
    it was. ``timeout``, ``log``, ``resume`` and ``progress`` as in ``random_search``: a
    resumed search replays the logged rounds, so it narrows the space the same way.

    Returns every trial of every round, best first; ``trial.round`` says which round
    (0, 1, ...) drew it and ``trial.number`` counts all trials in drawing order.
    """
    owner = "coarse_to_fine"
    _check_objective(objective, owner)
    check_space(space, owner)
    rounds = _positive_int(owner, "rounds", rounds)
    n_trials = _positive_int(owner, "n_trials", n_trials)
    if isinstance(zoom, bool) or not isinstance(zoom, numbers.Real):
        raise TypeError(f"{owner}: zoom must be a number in (0, 1], got {zoom!r}")
    if not 0 < zoom <= 1:
        raise ValueError(f"{owner}: zoom must be a number in (0, 1], got {zoom!r}")
    rng = generator(rng, owner)
    trials: list[Trial] = []
    with _Search(owner, objective, executor, rounds * n_trials, timeout, log, resume, progress) as search:
        for round_number in range(rounds):
            draws = [sample(space, rng) for _ in range(n_trials)]
            trials += search.run_round(draws, round_number, len(trials))
            best = ranked(trials)[0]
            if best.ok:
                space = narrow(space, best.params, zoom)
    return ranked(trials)


__all__ = [
    "log_uniform",
    "Uniform",
    "LogUniform",
    "Trial",
    "SearchInterrupted",
    "random_search",
    "coarse_to_fine",
    "narrow",
    "run_trial",
]

"""Running the trials of a search so that no single trial can end it.

A trial is one call ``objective(params) -> score``. Whatever happens to it is written on
that trial and the search goes on:

- it raises (any ``Exception``, and ``SystemExit`` too), returns something that is not a
  number, or returns NaN: status ``"failed"``, ``error`` = ``"TypeName: message"``;
- it runs longer than ``timeout`` seconds: status ``"timeout"``. Where the trial runs in
  the main thread of a process (here without an executor, or in a ``ProcessPoolExecutor``
  worker) an alarm signal stops it; a worker process that does not answer the alarm (stuck
  in C code) is killed. A thread cannot be stopped: the record and a warning say that it
  goes on in the background, holding its worker (the trials queued behind it wait; their
  clock starts when they start);
- the worker process running it dies (``os._exit``, a crash, the kernel's OOM killer):
  a ``ProcessPoolExecutor`` is then broken for every trial it held (``BrokenProcessPool``),
  so the trials that were running are rerun one at a time on a fresh pool to find which
  one killed its worker; that one is recorded as failed, the others get their scores.
  dask.distributed reruns a task whose worker died on another worker and gives up with
  ``KilledWorker`` (recorded as the trial's error) after ``allowed-failures`` deaths.

Only a ``KeyboardInterrupt`` (Ctrl-C) stops a search: the unstarted trials are cancelled.
"""

from __future__ import annotations

import collections
import concurrent.futures
import concurrent.futures.process
import math
import os
import pickle
import signal
import sys
import threading
import time
import warnings
from typing import Any, Callable, NamedTuple

STATUSES = ("done", "failed", "timeout")


class Outcome(NamedTuple):
    """What one trial gave: its score (NaN unless done), error and error type (None when
    done), status (one of ``STATUSES``) and duration in seconds."""

    score: float
    error: str | None
    error_type: str | None
    status: str
    duration: float


def _describe(error: BaseException) -> tuple[str, str]:
    kind = type(error).__name__
    text = str(error)
    return (f"{kind}: {text}" if text else kind), kind


def run_trial(objective: Callable[[dict], Any], params: dict) -> tuple[float, str | None, str | None]:
    """``(score, error, error_type)`` of one call of the objective; never raises, except
    ``KeyboardInterrupt`` (the user's Ctrl-C).

    Runs where the executor puts it (a worker process, say) and returns only a float and
    strings, which any executor can send back. A score that is not a number, or is NaN
    (a diverged run), counts as a failure; so does ``SystemExit`` (``sys.exit()`` in a trial).
    """
    try:
        result = objective(dict(params))
        try:
            score = float(result)
        except (TypeError, ValueError):
            raise TypeError(f"the objective must return a number, got {result!r}") from None
        if math.isnan(score):
            raise FloatingPointError("the objective returned nan (a diverged run?)")
    except (Exception, SystemExit) as error:  # any failure of one trial is recorded, not fatal to the search
        message, kind = _describe(error)
        return math.nan, message, kind
    return score, None, None


class _AlarmRang(BaseException):
    """Raised by the SIGALRM handler inside a trial that ran out of time (not an Exception,
    so that the trial's own ``except Exception`` does not swallow it)."""


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _ring(signum: int, frame: Any) -> None:
    raise _AlarmRang()


def timed_trial(objective: Callable[[dict], Any], params: dict, timeout: float | None = None) -> Outcome:
    """``run_trial`` with its duration and status; with ``timeout`` (seconds) and in the
    main thread of a process (Unix), an alarm stops the trial when its time is up."""
    started = time.perf_counter()
    alarm = timeout is not None and _can_alarm()
    try:
        previous = None
        if alarm:
            previous = signal.signal(signal.SIGALRM, _ring)
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            score, error, kind = run_trial(objective, params)
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
    except _AlarmRang:
        message = f"TimeoutError: the trial ran longer than {timeout:g} s and was stopped"
        return Outcome(math.nan, message, "TimeoutError", "timeout", time.perf_counter() - started)
    return Outcome(score, error, kind, "done" if error is None else "failed", time.perf_counter() - started)


def _unstoppable(timeout: float, where: str, waited: float) -> Outcome:
    message = (f"TimeoutError: the trial ran longer than {timeout:g} s; it runs in {where}, which cannot "
               "be stopped: it goes on in the background until it returns, and holds its worker until then")
    return Outcome(math.nan, message, "TimeoutError", "timeout", waited)


def _in_a_thread(objective: Callable[[dict], Any], params: dict, timeout: float) -> Outcome:
    """A trial with a timeout where no alarm can be set (not the main thread): in a daemon thread."""
    box: list[Outcome] = []
    worker = threading.Thread(target=lambda: box.append(timed_trial(objective, params)), daemon=True)
    started = time.perf_counter()
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return _unstoppable(timeout, "a thread", time.perf_counter() - started)
    return box[0]


def _outside_optim() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("optim."):
        frame, level = frame.f_back, level + 1
    return level


def _slots(executor: concurrent.futures.Executor) -> int:
    """How many trials the executor runs at once: its ``max_workers``, a dask client's
    thread count, or the number of CPUs."""
    workers = getattr(executor, "_max_workers", None)
    if isinstance(workers, int) and workers > 0:
        return workers
    client = getattr(executor, "_client", None)  # dask.distributed's ClientExecutor
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # a client that cannot answer: fall back to the CPU count
            pass
    return os.cpu_count() or 1


class TrialRunner:
    """Runs trials here or on an executor, calling ``record(number, outcome)`` as each one
    finishes. Keeps at most as many trials in flight as the executor has workers, so that
    when a worker process dies the suspects are the few trials that were running. After a
    ``ProcessPoolExecutor`` breaks it goes on with a fresh pool of the same size, kept for
    the rest of the search (``close()`` shuts it down)."""

    def __init__(self, objective: Callable[[dict], Any], executor: concurrent.futures.Executor | None,
                 timeout: float | None, owner: str) -> None:
        if executor is not None and not isinstance(executor, concurrent.futures.Executor):
            raise TypeError(f"{owner}: executor must be a concurrent.futures.Executor or None, got {executor!r}")
        if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
            try:
                pickle.dumps(objective)
            except Exception as error:
                raise RuntimeError(
                    f"{owner}: the executor could not run a trial ({type(error).__name__}: {error}); "
                    "note that a process pool can only run an objective it can pickle: a function "
                    "defined at module level, not a lambda or a local function"
                ) from error
        self.objective, self.executor, self.timeout, self.owner = objective, executor, timeout, owner
        self.replacement: concurrent.futures.ProcessPoolExecutor | None = None
        self.grace = 0.0 if timeout is None else max(1.0, 0.25 * timeout)
        self.warned: set[str] = set()

    @property
    def current(self) -> concurrent.futures.Executor | None:
        return self.replacement or self.executor

    def close(self) -> None:
        if self.replacement is not None:
            self.replacement.shutdown(wait=True, cancel_futures=True)
            self.replacement = None

    def _warn(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            warnings.warn(f"{self.owner}: {message}", RuntimeWarning, stacklevel=_outside_optim())

    def run(self, jobs: list[tuple[int, dict]], record: Callable[[int, Outcome], None]) -> None:
        """Run every ``(number, params)`` job; ``KeyboardInterrupt`` cancels the rest and propagates."""
        if self.current is None:
            for number, params in jobs:
                if self.timeout is None or _can_alarm():
                    outcome = timed_trial(self.objective, params, self.timeout)
                else:
                    outcome = _in_a_thread(self.objective, params, self.timeout)
                    if outcome.status == "timeout":
                        self._warn("thread", outcome.error.removeprefix("TimeoutError: "))
                record(number, outcome)
            return
        self._run_parallel(jobs, record)

    # -- on an executor -------------------------------------------------------------------------

    def _submit(self, params: dict) -> concurrent.futures.Future:
        try:
            return self.current.submit(timed_trial, self.objective, params, self.timeout)
        except concurrent.futures.process.BrokenProcessPool:  # broken before this search (or round)
            self._fresh_pool()
            return self.current.submit(timed_trial, self.objective, params, self.timeout)

    def _fresh_pool(self) -> None:
        old = self.current
        if not isinstance(old, concurrent.futures.ProcessPoolExecutor):
            raise RuntimeError(f"{self.owner}: the executor {old!r} is broken and cannot be replaced")
        self._warn("broken", "a worker process of the pool died (BrokenProcessPool); the trials go on on a "
                   "fresh ProcessPoolExecutor of the same size (the pool passed in is broken now)")
        self.replacement = concurrent.futures.ProcessPoolExecutor(
            max_workers=getattr(old, "_max_workers", None),
            mp_context=getattr(old, "_mp_context", None),
            initializer=getattr(old, "_initializer", None),
            initargs=getattr(old, "_initargs", ()),
        )
        if old is not self.executor:
            old.shutdown(wait=False, cancel_futures=True)

    def _run_parallel(self, jobs: list[tuple[int, dict]], record: Callable[[int, Outcome], None]) -> None:
        waiting = collections.deque(jobs)
        suspects: collections.deque = collections.deque()  # ran when a worker died: rerun one at a time
        in_flight: dict[concurrent.futures.Future, list] = {}  # future -> [number, params, submitted, started]
        zombies: set[concurrent.futures.Future] = set()  # timed out, cannot be stopped, still running
        killed_on_purpose = False
        slots = _slots(self.current)
        try:
            while waiting or suspects or in_flight:
                zombies = {future for future in zombies if not future.done()}
                if suspects:
                    if not in_flight:
                        number, params = suspects.popleft()
                        in_flight[self._submit(params)] = [number, params, time.monotonic(), None]
                else:
                    while waiting and len(in_flight) < max(1, slots - len(zombies)):
                        number, params = waiting.popleft()
                        in_flight[self._submit(params)] = [number, params, time.monotonic(), None]
                done, _ = concurrent.futures.wait(in_flight, timeout=self._until_deadline(in_flight),
                                                  return_when=concurrent.futures.FIRST_COMPLETED)
                broken = []
                for future in done:
                    number, params, submitted, _ = in_flight.pop(future)
                    try:
                        outcome = Outcome(*future.result())
                    except concurrent.futures.process.BrokenProcessPool:
                        broken.append((number, params, future))
                        continue
                    except KeyboardInterrupt:
                        raise
                    except BaseException as error:  # the executor lost the trial (dask's KilledWorker, ...)
                        message, kind = _describe(error)
                        outcome = Outcome(math.nan, message, kind, "failed", time.monotonic() - submitted)
                    record(number, outcome)
                if broken:
                    # every trial the dead pool held fails with it: collect them all, then sort them out
                    for future in list(in_flight):
                        number, params, _, _ = in_flight.pop(future)
                        broken.append((number, params, future))
                    if killed_on_purpose or len(broken) > 1:
                        # innocent (the pool was killed to stop a timed-out trial) or one of several suspects
                        target = waiting if killed_on_purpose else suspects
                        target.extendleft(reversed([(number, params) for number, params, _ in broken]))
                    else:
                        number, params, future = broken[0]
                        record(number, Outcome(math.nan, "BrokenProcessPool: the worker process running this "
                                               "trial died (" + str(future.exception()) + ")",
                                               "BrokenProcessPool", "failed", math.nan))
                    killed_on_purpose = False
                    self._fresh_pool()
                    continue
                killed_on_purpose |= self._stop_overdue(in_flight, zombies, record)
        except KeyboardInterrupt:
            for future in in_flight:
                future.cancel()
            raise

    def _mark_started(self, in_flight: dict) -> bool:
        """Note when each trial started (the clock of its timeout); True if some still wait.

        Thread and process pools say when a trial starts running (a trial can wait behind a
        timed-out thread that goes on); for other executors the clock starts at submission."""
        reports = isinstance(self.current, (concurrent.futures.ThreadPoolExecutor,
                                            concurrent.futures.ProcessPoolExecutor))
        now, queued = time.monotonic(), False
        for future, entry in in_flight.items():
            if entry[3] is None:
                if not reports or future.running() or future.done():
                    entry[3] = entry[2] if not reports else now
                else:
                    queued = True
        return queued

    def _until_deadline(self, in_flight: dict) -> float | None:
        if self.timeout is None or not in_flight:
            return None
        queued = self._mark_started(in_flight)
        started = [entry[3] for entry in in_flight.values() if entry[3] is not None]
        wait = max(0.0, min(started) + self._limit() - time.monotonic()) + 0.01 if started else None
        return min(wait, 0.05) if queued and wait is not None else (0.05 if queued else wait)

    def _limit(self) -> float:
        threads = isinstance(self.current, concurrent.futures.ThreadPoolExecutor)
        return self.timeout if threads else self.timeout + self.grace  # a process's own alarm goes first

    def _stop_overdue(self, in_flight: dict, zombies: set, record: Callable[[int, Outcome], None]) -> bool:
        """Record the trials past their time; True if worker processes were killed to stop one."""
        if self.timeout is None:
            return False
        self._mark_started(in_flight)
        now, killed = time.monotonic(), False
        for future, (number, params, _, submitted) in list(in_flight.items()):
            if submitted is None or now - submitted < self._limit() or future.done():
                continue
            del in_flight[future]
            pool = self.current
            processes = getattr(pool, "_processes", None)
            if isinstance(pool, concurrent.futures.ProcessPoolExecutor) and processes:
                for process in list(processes.values()):
                    process.kill()  # the pool breaks; the other trials it held are rerun
                killed = True
                message = (f"TimeoutError: the trial ran longer than {self.timeout:g} s and did not stop at "
                           "the alarm (stuck in C code?); its worker process was killed")
                record(number, Outcome(math.nan, message, "TimeoutError", "timeout", now - submitted))
                continue
            future.cancel()
            zombies.add(future)
            where = ("a thread of this process" if isinstance(pool, concurrent.futures.ThreadPoolExecutor)
                     else "a thread of a worker (dask runs tasks in threads)"
                     if getattr(pool, "_client", None) is not None else f"a worker of {type(pool).__name__}")
            outcome = _unstoppable(self.timeout, where, now - submitted)
            self._warn("thread", outcome.error.removeprefix("TimeoutError: "))
            record(number, outcome)
        return killed


__all__ = ["STATUSES", "Outcome", "run_trial", "timed_trial", "TrialRunner"]

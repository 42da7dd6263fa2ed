"""Hyperparameter search: log-scale sampling, random search (seeded, sorted, failures recorded,
on a process pool) and coarse to fine, as the lecture on optimization algorithms teaches them."""

from __future__ import annotations

import concurrent.futures
import json
import math
import os
import signal
import sys
import time

import numpy as np
import pytest

import optim
from optim.search import (LogUniform, SearchInterrupted, Trial, Uniform, coarse_to_fine, log_uniform, narrow,
                          random_search)


# -- objectives at module level, so that a process pool can pickle them -----------------------


def bowl(params):
    """Lowest, 0, at lr = 10^-2.5 and momentum = 0.9; "relu" costs 0.1 more than "tanh"."""
    penalty = 0.1 if params.get("activation") == "relu" else 0.0
    return (math.log10(params["lr"]) + 2.5) ** 2 + (params.get("momentum", 0.9) - 0.9) ** 2 + penalty


def fragile(params):
    """``bowl``, but failing in three ways for large learning rates."""
    if params["lr"] > 0.1:
        raise ValueError(f"diverged at lr={params['lr']:.3g}")
    if params["lr"] > 0.03:
        return float("nan")
    if params["lr"] > 0.01:
        return "a string"
    return bowl(params)


SPACE = {"lr": LogUniform(1e-4, 1.0), "momentum": Uniform(0.5, 0.99), "activation": ["tanh", "relu"]}


def summary(trials):
    """Everything about the trials, in order, comparable with == (NaN scores as "nan")."""
    return [(t.number, t.params, repr(t.score), t.error, t.error_type, t.round) for t in trials]


# -- log_uniform --------------------------------------------------------------------------------


def test_log_uniform_gives_each_decade_a_quarter_of_the_samples():
    samples = log_uniform(1e-4, 1.0, size=10_000, rng=0)
    assert samples.shape == (10_000,) and samples.min() >= 1e-4 and samples.max() <= 1.0
    per_decade, _ = np.histogram(samples, bins=[1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert per_decade.sum() == 10_000
    assert np.all(np.abs(per_decade - 2500) < 150), per_decade  # binomial sd is about 43
    # the lecture's contrast: a linear axis puts about 90% in [0.1, 1] and almost nothing below 1e-2
    linear = np.random.default_rng(0).uniform(1e-4, 1.0, size=10_000)
    linear_per_decade, _ = np.histogram(linear, bins=[1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert 0.88 < linear_per_decade[3] / 10_000 < 0.92 and linear_per_decade[:2].sum() < 150


def test_log_uniform_is_the_slides_ten_to_the_minus_four_u():
    u = np.random.default_rng(3).uniform(0, 1, size=5)
    # r = -4 U(0, 1), alpha = 10^r: the same distribution; with U drawn as log10 low + 4 u it is equal
    ours = log_uniform(1e-4, 1.0, size=5, rng=np.random.default_rng(3))
    np.testing.assert_allclose(ours, 10.0 ** (-4 + 4 * u), rtol=1e-12)


def test_log_uniform_scalar_and_seed():
    assert isinstance(log_uniform(1e-3, 1e-1, rng=1), float)
    assert log_uniform(1e-3, 1e-1, rng=1) == log_uniform(1e-3, 1e-1, rng=1)
    assert log_uniform(1e-3, 1e-1, size=(2, 3), rng=1).shape == (2, 3)
    assert 1e-3 <= LogUniform(1e-3, 1e-1)(np.random.default_rng(0)) <= 1e-1


@pytest.mark.parametrize(
    "low, high, rng, error, message",
    [
        (0.0, 1.0, None, ValueError, r"log_uniform: low must be a finite number > 0, got 0.0"),
        (-1.0, 1.0, None, ValueError, r"low .* got -1.0"),
        (1.0, 1e-4, None, ValueError, r"low must be < high, got low=1.0, high=0.0001"),
        (1e-4, float("inf"), None, ValueError, r"high .* got inf"),
        ("1e-4", 1.0, None, TypeError, r"low must be a number, got '1e-4'"),
        (1e-4, 1.0, "seed", TypeError, r"rng must be None, an integer seed or a numpy Generator, got 'seed'"),
    ],
)
def test_log_uniform_bad_arguments(low, high, rng, error, message):
    with pytest.raises(error, match=message):
        log_uniform(low, high, rng=rng)


# -- random_search ------------------------------------------------------------------------------


def test_random_search_is_sorted_best_first_and_reproducible():
    trials = random_search(bowl, SPACE, n_trials=40, rng=7)
    assert len(trials) == 40 and all(isinstance(t, Trial) and t.ok for t in trials)
    scores = [t.score for t in trials]
    assert scores == sorted(scores)
    assert trials[0].score == pytest.approx(bowl(trials[0].params))
    assert trials[0].score < 0.1
    assert sorted(t.number for t in trials) == list(range(40))
    assert summary(random_search(bowl, SPACE, n_trials=40, rng=7)) == summary(trials)
    assert summary(random_search(bowl, SPACE, n_trials=40, rng=np.random.default_rng(7))) == summary(trials)
    assert summary(random_search(bowl, SPACE, n_trials=40, rng=8)) != summary(trials)


def test_random_search_draws_choices_and_samplers():
    trials = random_search(bowl, SPACE, n_trials=200, rng=0)
    activations = [t.params["activation"] for t in trials]
    assert set(activations) == {"tanh", "relu"} and 70 < activations.count("relu") < 130
    assert all(type(a) is str for a in activations)  # a choice is the item itself, not a numpy string
    lrs = np.array([t.params["lr"] for t in trials])
    assert lrs.min() >= 1e-4 and lrs.max() <= 1.0 and np.mean(lrs < 1e-2) > 0.35  # log scale
    assert all(0.5 <= t.params["momentum"] <= 0.99 for t in trials)
    custom = random_search(bowl, {"lr": lambda rng: 10 ** rng.uniform(-3, -2)}, n_trials=5, rng=0)
    assert all(1e-3 <= t.params["lr"] <= 1e-2 for t in custom)


def test_failing_trials_are_recorded_and_sorted_last():
    trials = random_search(fragile, {"lr": LogUniform(1e-4, 1.0)}, n_trials=60, rng=1)
    failed = [t for t in trials if not t.ok]
    kinds = {t.error_type for t in failed}
    assert kinds == {"ValueError", "FloatingPointError", "TypeError"}
    assert all(math.isnan(t.score) for t in failed)
    assert all(t.ok for t in trials[: len(trials) - len(failed)])  # successes first, failures after
    raised = next(t for t in failed if t.error_type == "ValueError")
    assert raised.error == f"ValueError: diverged at lr={raised.params['lr']:.3g}"
    first = {t.error_type: t for t in reversed(failed)}
    assert first["FloatingPointError"].error.endswith("returned nan (a diverged run?)")
    assert "must return a number, got 'a string'" in first["TypeError"].error
    assert all(t.params["lr"] > 0.01 for t in failed) and all(t.params["lr"] <= 0.01 for t in trials if t.ok)
    everything_fails = random_search(fragile, {"lr": [0.5]}, n_trials=3, rng=0)
    assert [t.error_type for t in everything_fails] == ["ValueError"] * 3


@pytest.fixture(scope="module")
def pool():
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as executor:
        yield executor


def test_random_search_on_a_process_pool_gives_the_same_trials(pool):
    here = random_search(fragile, SPACE, n_trials=24, rng=5)
    there = random_search(fragile, SPACE, n_trials=24, rng=5, executor=pool)
    assert summary(there) == summary(here)
    assert any(not t.ok for t in there) and any(t.ok for t in there)
    # samplers run here, not in the workers, so they need not be picklable
    lambda_space = {"lr": lambda rng: 10 ** rng.uniform(-4, 0)}
    assert summary(random_search(bowl, lambda_space, 6, rng=2, executor=pool)) == summary(
        random_search(bowl, lambda_space, 6, rng=2)
    )


def test_any_executor_works():
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as threads:
        assert summary(random_search(bowl, SPACE, 15, rng=4, executor=threads)) == summary(
            random_search(bowl, SPACE, 15, rng=4)
        )


def test_an_objective_the_pool_cannot_pickle_is_a_clear_error(pool):
    with pytest.raises(RuntimeError, match=r"could not run a trial .*pickle.*module level, not a lambda"):
        random_search(lambda params: 0.0, SPACE, 3, rng=0, executor=pool)


# -- coarse_to_fine -----------------------------------------------------------------------------


def test_narrow_zooms_each_range_on_its_own_axis():
    log_range = LogUniform(1e-4, 1.0).around(1e-2, zoom=0.5)  # 4 decades -> 2, centred on 1e-2
    assert type(log_range) is LogUniform
    assert (log_range.low, log_range.high) == pytest.approx((1e-3, 1e-1))
    edge = LogUniform(1e-4, 1.0).around(0.9, zoom=0.25)  # kept inside: the top decade
    assert (edge.low, edge.high) == pytest.approx((0.1, 1.0))
    assert Uniform(0.0, 10.0).around(9.5, zoom=0.2) == Uniform(8.0, 10.0)
    assert Uniform(0.0, 10.0).around(5.0, zoom=0.2) == Uniform(4.0, 6.0)
    sampler = lambda rng: 1.0  # noqa: E731
    space = narrow({"lr": LogUniform(1e-4, 1.0), "act": ["tanh", "relu"], "f": sampler}, {"lr": 1e-2}, 0.5)
    assert space["act"] == ["tanh", "relu"] and space["f"] is sampler


def test_coarse_to_fine_finds_the_minimum_more_precisely_than_its_first_round():
    space = {"lr": LogUniform(1e-5, 1.0), "activation": ["tanh", "relu"]}
    trials = coarse_to_fine(bowl, space, rounds=4, n_trials=15, zoom=0.3, rng=0)
    assert len(trials) == 60 and [t.score for t in trials] == sorted(t.score for t in trials)

    def error(trial):
        return abs(math.log10(trial.params["lr"]) + 2.5)

    best_of_round = [min((t for t in trials if t.round == r), key=lambda t: t.score) for r in range(4)]
    assert error(best_of_round[3]) < error(best_of_round[0]) / 3
    assert error(trials[0]) < 0.02 and trials[0].params["activation"] == "tanh"
    # each round draws from a log range 0.3 times as wide as the round before (5 decades at first)
    for r in range(1, 4):
        logs = [math.log10(t.params["lr"]) for t in trials if t.round == r]
        assert max(logs) - min(logs) <= 5 * 0.3**r + 1e-9
    last = [t for t in trials if t.round == 3]
    assert {t.params["activation"] for t in last} == {"tanh", "relu"}  # choices stay as they are
    assert sorted(t.number for t in trials) == list(range(60))


def test_coarse_to_fine_is_reproducible_on_any_executor(pool):
    here = coarse_to_fine(bowl, SPACE, rounds=3, n_trials=8, rng=11)
    there = coarse_to_fine(bowl, SPACE, rounds=3, n_trials=8, rng=11, executor=pool)
    assert summary(there) == summary(here)


def test_coarse_to_fine_keeps_the_space_while_every_trial_fails():
    trials = coarse_to_fine(fragile, {"lr": LogUniform(0.2, 1.0)}, rounds=2, n_trials=5, rng=0)
    assert all(t.error_type == "ValueError" for t in trials)
    assert all(0.2 <= t.params["lr"] <= 1.0 for t in trials)


# -- bad arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: random_search(bowl, SPACE, 0), ValueError, r"random_search: n_trials must be >= 1, got 0"),
        (lambda: random_search(bowl, SPACE, 2.5), TypeError, r"n_trials must be an integer, got 2.5"),
        (lambda: random_search(bowl, {}, 5), TypeError, r"space must be a non-empty dict"),
        (lambda: random_search(bowl, [("lr", [1])], 5), TypeError, r"space must be a non-empty dict"),
        (lambda: random_search(bowl, {"lr": []}, 5), ValueError, r"space\['lr'\] is an empty list"),
        (lambda: random_search(bowl, {"lr": 0.1}, 5), TypeError, r"space\['lr'\] must be a list .* got 0.1"),
        (lambda: random_search(bowl, SPACE, 5, rng="seed"), TypeError, r"rng must be None, an integer seed"),
        (lambda: random_search(bowl, SPACE, 5, executor=map), TypeError, r"executor must be a concurrent"),
        (lambda: coarse_to_fine(bowl, SPACE, 0, 5), ValueError, r"coarse_to_fine: rounds .* >= 1, got 0"),
        (lambda: coarse_to_fine(bowl, SPACE, 2, -1), ValueError, r"n_trials must be >= 1, got -1"),
        (lambda: coarse_to_fine(bowl, SPACE, 2, 5, zoom=0), ValueError, r"zoom must be .* \(0, 1\], got 0"),
        (lambda: coarse_to_fine(bowl, SPACE, 2, 5, zoom=1.5), ValueError, r"zoom .* got 1.5"),
        (lambda: LogUniform(1.0, 0.1), ValueError, r"LogUniform: low must be < high"),
        (lambda: LogUniform(0, 1), ValueError, r"LogUniform: low must be a finite number > 0, got 0"),
        (lambda: Uniform(2, 2), ValueError, r"Uniform: low must be < high, got low=2, high=2"),
        (lambda: random_search(bowl, SPACE, 2, timeout=0), ValueError, r"timeout must be a finite .* > 0, got 0"),
        (lambda: random_search(bowl, SPACE, 2, timeout="1"), TypeError, r"timeout must be a number .* got '1'"),
        (lambda: random_search(bowl, SPACE, 2, log=3), TypeError, r"log must be a file path or None, got 3"),
        (lambda: random_search(bowl, SPACE, 2, progress="yes"), TypeError, r"progress must be True, False or"),
        (lambda: random_search(bowl, SPACE, 2, resume="/no/such.jsonl"), FileNotFoundError,
         r"resume='/no/such.jsonl': no such file"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_modules_are_exported():
    assert optim.search.random_search is random_search and optim.search.log_uniform is log_uniform
    assert callable(optim.schedules.cosine_decay)
    assert "search" in optim.__all__ and "schedules" in optim.__all__


# -- a search that survives its trials -----------------------------------------------------------

LINE = {"x": Uniform(0.0, 1.0)}


def parabola(params):
    return (params["x"] - 0.5) ** 2


def crashing(params):
    """Kills the worker process running it for x < 0.15 (as a segfault or the OOM killer would)."""
    if params["x"] < 0.15:
        os._exit(3)
    return parabola(params)


def exiting(params):
    if params["x"] < 0.3:
        sys.exit(f"gave up at x={params['x']:.3f}")
    return parabola(params)


def hanging(params):
    """Hangs (in Python: an alarm can stop it) for x < 0.2."""
    if params["x"] < 0.2:
        time.sleep(60)
    return parabola(params)


def deaf(params):
    """Hangs with the alarm signal blocked, as code stuck in C would ignore it, for x < 0.2."""
    if params["x"] < 0.2:
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
        time.sleep(60)
    return parabola(params)


def briefly_hanging(params):
    if params["x"] < 0.2:
        time.sleep(1.5)
    return parabola(params)


CALLS = []


def counted(params):
    CALLS.append(params["x"])
    return parabola(params)


def interrupted_at_the_eighth(params):
    if len(CALLS) == 7:
        raise KeyboardInterrupt
    return counted(params)


def expected(trials, objective=parabola):
    """Per trial number: the status and score the serial objective gives (the oracle)."""
    return {t.number: objective(t.params) for t in trials}


def test_dead_workers_fail_only_their_own_trials_and_the_rest_go_on_on_a_fresh_pool():
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as executor:
        with pytest.warns(RuntimeWarning, match=r"worker process of the pool died .* fresh ProcessPoolExecutor"):
            trials = random_search(crashing, LINE, 20, rng=1, executor=executor)
    assert len(trials) == 20 and sorted(t.number for t in trials) == list(range(20))
    dead = [t for t in trials if t.params["x"] < 0.15]
    assert len(dead) == 3
    for trial in dead:
        assert trial.status == "failed" and trial.error_type == "BrokenProcessPool" and math.isnan(trial.score)
        assert trial.error.startswith("BrokenProcessPool: the worker process running this trial died")
    for trial in trials:
        if trial.params["x"] >= 0.15:
            assert trial.status == "done" and trial.score == parabola(trial.params)
    assert trials[-3:] == sorted(dead, key=lambda t: t.number)


def test_system_exit_in_a_trial_is_recorded_here_and_in_a_worker(pool):
    here = random_search(exiting, LINE, 12, rng=3)
    there = random_search(exiting, LINE, 12, rng=3, executor=pool)
    assert summary(here) == summary(there)
    stopped = [t for t in here if t.params["x"] < 0.3]
    assert stopped and all(t.error == f"SystemExit: gave up at x={t.params['x']:.3f}" for t in stopped)
    assert all(t.status == "done" and t.score == parabola(t.params) for t in here if t.params["x"] >= 0.3)


def slow_trials_the_rest_done(trials):
    """The trials at x < 0.2 (those that hang), after checking that every other one finished
    with its objective's value."""
    assert all(t.status == "done" and t.score == parabola(t.params) for t in trials if t.params["x"] >= 0.2)
    return [t for t in trials if t.params["x"] < 0.2]


@pytest.mark.parametrize("where", ["here", "process pool"])
def test_a_hanging_trial_is_stopped_at_its_timeout(where, pool):
    executor = pool if where == "process pool" else None
    trials = random_search(hanging, LINE, 8, rng=0, executor=executor, timeout=0.3)
    slow = slow_trials_the_rest_done(trials)
    assert slow and all(t.status == "timeout" and t.error_type == "TimeoutError" for t in slow)
    assert all(t.error == "TimeoutError: the trial ran longer than 0.3 s and was stopped" for t in slow)
    assert all(0.3 <= t.duration < 30 for t in slow)


def test_a_worker_deaf_to_the_alarm_is_killed_and_the_others_rerun():
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as executor:
        with pytest.warns(RuntimeWarning, match="fresh ProcessPoolExecutor"):
            trials = random_search(deaf, LINE, 8, rng=0, executor=executor, timeout=0.3)
    slow = slow_trials_the_rest_done(trials)
    assert slow and all(t.status == "timeout" and "its worker process was killed" in t.error for t in slow)


def test_a_timed_out_thread_is_recorded_and_said_to_go_on():
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as threads:
        with pytest.warns(RuntimeWarning, match="runs in a thread of this process, which cannot be stopped"):
            trials = random_search(briefly_hanging, LINE, 8, rng=0, executor=threads, timeout=0.2)
    slow = slow_trials_the_rest_done(trials)
    assert slow and all(t.status == "timeout" and "goes on in the background" in t.error for t in slow)


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_log_has_one_json_line_per_trial(tmp_path, pool):
    log = tmp_path / "search.jsonl"
    trials = random_search(fragile, SPACE, 16, rng=5, executor=pool, log=log)
    lines = read_lines(log)
    assert sorted(line["number"] for line in lines) == list(range(16))
    by_number = {t.number: t for t in trials}
    for line in lines:
        trial = by_number[line["number"]]
        assert set(line) == {"number", "round", "params", "score", "status", "error", "error_type", "duration"}
        assert line["params"] == trial.params and line["status"] == trial.status and line["error"] == trial.error
        assert line["score"] == (trial.score if trial.ok else None) and line["duration"] >= 0
    with pytest.raises(ValueError, match=r"already holds trials: pass resume="):
        random_search(fragile, SPACE, 16, rng=5, log=log)


def test_an_interrupted_search_resumes_without_rerunning_finished_trials(tmp_path):
    log = tmp_path / "search.jsonl"
    CALLS.clear()
    with pytest.raises(SearchInterrupted, match="after 7 finished trials") as stopped:
        random_search(interrupted_at_the_eighth, LINE, 12, rng=2, log=log)
    assert isinstance(stopped.value, KeyboardInterrupt) and len(stopped.value.trials) == 7
    assert len(read_lines(log)) == 7
    finished = set(CALLS)
    CALLS.clear()
    resumed = random_search(counted, LINE, 12, rng=2, resume=log)
    assert len(CALLS) == 5 and not finished & set(CALLS)  # only the 5 unfinished trials ran
    fresh = random_search(parabola, LINE, 12, rng=2)
    assert summary(resumed) == summary(fresh)
    assert sorted(line["number"] for line in read_lines(log)) == list(range(12))
    with pytest.raises(ValueError, match=r"trial \d+ in the resumed log has params .* different seed"):
        random_search(counted, LINE, 12, rng=3, resume=log)
    with pytest.raises(ValueError, match=r"has trial 10, but this search has only 10 trials"):
        random_search(counted, LINE, 10, rng=2, resume=log)


def test_coarse_to_fine_resumes_round_by_round(tmp_path):
    log = tmp_path / "c2f.jsonl"
    full = coarse_to_fine(bowl, SPACE, rounds=3, n_trials=6, rng=4, log=log)
    lines = log.read_text().splitlines()
    (tmp_path / "cut.jsonl").write_text("\n".join(lines[:10]) + "\n" + lines[10][:25])  # cut mid-line
    with pytest.warns(RuntimeWarning, match="last line .* was cut short"):
        resumed = coarse_to_fine(bowl, SPACE, rounds=3, n_trials=6, rng=4, resume=tmp_path / "cut.jsonl")
    assert summary(resumed) == summary(full)
    assert sorted(line["number"] for line in read_lines(tmp_path / "cut.jsonl")) == list(range(18))


def test_a_bad_log_line_is_named(tmp_path):
    log = tmp_path / "bad.jsonl"
    log.write_text('{"number": 0}\n')
    with pytest.raises(ValueError, match=r"line 1: a trial needs exactly the fields number, round"):
        random_search(parabola, LINE, 3, rng=0, resume=log)
    log.write_text("not json\n")
    with pytest.raises(ValueError, match=r"line 1 is not a JSON object"):
        random_search(parabola, LINE, 3, rng=0, resume=log)


def test_progress_bar_only_when_asked_or_watched(capsys):
    random_search(parabola, LINE, 5, rng=0)  # pytest's stderr is no terminal: no bar
    assert capsys.readouterr().err == ""
    random_search(parabola, LINE, 5, rng=0, progress=True)
    err = capsys.readouterr().err
    assert "random_search" in err and "5/5" in err and "best" in err


# -- dask.distributed: the scale-out path ----------------------------------------------------------


def crashing_slowly(params):
    """Kills its dask worker for x < 0.12; the others take a moment, so the death is mid-search."""
    if params["x"] < 0.12:
        os._exit(3)
    time.sleep(0.2)
    return parabola(params)


def test_a_search_on_a_local_dask_cluster_survives_a_killed_worker():
    dask = pytest.importorskip("dask", reason="dask is not installed (pip install 'dask[distributed]')")
    distributed = pytest.importorskip("distributed", reason="distributed is not installed (pip install 'dask[distributed]')")
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            trials = random_search(crashing_slowly, LINE, 8, rng=4, executor=client.get_executor())
    assert sorted(t.number for t in trials) == list(range(8))
    killer = [t for t in trials if t.params["x"] < 0.12]
    assert len(killer) == 1 and killer[0].number == 3
    assert killer[0].status == "failed" and killer[0].error_type == "KilledWorker"
    assert "all those workers died while running it" in killer[0].error
    for trial in trials:
        if trial is not killer[0]:  # done, or lost with a dying worker: either way recorded
            assert (trial.status, trial.score) == ("done", parabola(trial.params)) or trial.error_type == "KilledWorker"
    assert sum(t.status == "done" for t in trials) >= 5


class _AtTheEnds:
    """Stands in for a numpy Generator whose uniform draws land on an end of their range."""

    def __init__(self, end):
        self.end = end

    def uniform(self, low, high, size=None):
        return low if self.end == "low" else np.nextafter(high, low)


def test_ranges_narrowed_or_sampled_stay_inside_their_bounds_to_the_last_digit():
    # 10^(log10 0.3) is 0.29999999999999993: a narrowed log range (and its samples) began
    # below the range it was cut from; a narrowed Uniform could end an ulp past its high
    narrowed = LogUniform(0.3, 0.9).around(0.3, zoom=0.3)
    assert narrowed.low == 0.3 and narrowed.high == pytest.approx(0.3 * 3 ** 0.3, rel=1e-14)
    assert LogUniform(0.3, 0.9)(_AtTheEnds("low")) == 0.3
    assert LogUniform(1e-3, 0.7)(_AtTheEnds("high")) <= 0.7
    low, high = -4.327335610879466, -3.130926131297158
    edge = Uniform(low, high).around(high, zoom=0.3)
    assert edge.high == high and edge.low == pytest.approx(high - 0.3 * (high - low), rel=1e-14)
    # coarse to fine around a best trial at the bottom of the range: every trial stays in it
    trials = coarse_to_fine(lambda p: p["p"], {"p": LogUniform(0.3, 0.9)}, rounds=4, n_trials=8, rng=0)
    assert all(0.3 <= t.params["p"] <= 0.9 for t in trials)
    samples = log_uniform(0.3, 0.9, size=20_000, rng=0)
    assert samples.min() >= 0.3 and samples.max() <= 0.9

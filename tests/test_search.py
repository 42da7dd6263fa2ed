"""Hyperparameter search: log-scale sampling, random search (seeded, sorted, failures recorded,
on a process pool) and coarse to fine, as the lecture on optimization algorithms teaches them."""

from __future__ import annotations

import concurrent.futures
import math

import numpy as np
import pytest

import optim
from optim.search import LogUniform, Trial, Uniform, coarse_to_fine, log_uniform, narrow, random_search


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
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_modules_are_exported():
    assert optim.search.random_search is random_search and optim.search.log_uniform is log_uniform
    assert callable(optim.schedules.cosine_decay)
    assert "search" in optim.__all__ and "schedules" in optim.__all__

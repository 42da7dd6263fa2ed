"""Grad mode, scopes and the collector pause are per thread: trainings in threads give the serial numbers.

One thread's ``no_grad()`` (its validation pass, its parameter update) must not switch
recording off for the others, and one thread's module call must not tag the nodes
another thread makes. As in PyTorch, a new thread starts with recording on.
"""

from __future__ import annotations

import concurrent.futures
import gc
import sys
import threading

import numpy as np
import pytest

import autodiff
import nn
import optim
from autodiff import Tensor, Value, context
from nn import datasets


@pytest.fixture
def switch_often():
    """Let the interpreter switch threads every 10 µs, so that they really interleave."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


def in_other_thread(inside_block, check_here):
    """Run ``check_here()`` here while another thread is inside the block ``inside_block()`` opens."""
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def other():
        with inside_block():
            seen["other"] = (autodiff.is_grad_enabled(), context.current_scope())
            entered.set()
            checked.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    assert entered.wait(10)
    try:
        check_here()
    finally:
        checked.set()
        thread.join(10)
    return seen["other"]


def test_no_grad_in_one_thread_leaves_the_others_recording():
    x = Value(3.0)

    def check_here():
        assert autodiff.is_grad_enabled()
        y = x * x
        assert y.parents == (x, x)  # recorded
        t = Tensor(np.ones(2), requires_grad=True)
        assert (t * 2).requires_grad and (t * 2).parents

    other = in_other_thread(autodiff.no_grad, check_here)
    assert other == (False, None)  # the other thread's block was really off
    assert autodiff.is_grad_enabled()


def test_a_new_thread_records_even_when_it_is_started_inside_no_grad():
    result = {}

    def worker():
        result["enabled"] = autodiff.is_grad_enabled()
        result["parents"] = (Value(2.0) * 3.0).parents

    with autodiff.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(10)
        assert not autodiff.is_grad_enabled()
    assert result["enabled"] is True and len(result["parents"]) == 2


def test_a_scope_in_one_thread_does_not_tag_another_threads_nodes():
    def check_here():
        assert context.current_scope() is None
        assert (Value(1.0) + 2.0).scope is None

    enabled, scope = in_other_thread(lambda: autodiff.scope("other"), check_here)
    assert enabled is True and scope.name == "other"


def test_the_collector_comes_back_only_when_the_last_threads_pause_ends():
    assert gc.isenabled()
    first, second = context.collector_paused(), context.collector_paused()
    done = threading.Event()

    def other():
        with second:
            done.wait(10)

    first.__enter__()
    thread = threading.Thread(target=other)
    thread.start()
    first.__exit__(None, None, None)  # this thread's backward ends while the other's runs
    assert not gc.isenabled()
    done.set()
    thread.join(10)
    assert gc.isenabled()


def test_the_collector_stays_off_after_the_pause_when_it_was_off_before():
    gc.disable()
    try:
        with context.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- whole trainings in threads give exactly the serial numbers -----------------------------


def moons_pm1(n, seed):
    X, y01 = datasets.make_moons(n, noise=0.1, rng=seed)
    return X, 2 * y01 - 1


def train_scalar_mlp(seed):
    """micrograd's demo network, a few epochs, validated every epoch (under no_grad)."""
    X, y = moons_pm1(40, seed=0)
    X_val, y_val = moons_pm1(20, seed=1)
    model = nn.MLP(2, [8, 8, 1], seed=seed)
    history = nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
                     batch_size=10, val_data=(X_val, y_val), progress=False)
    return history["loss"] + history["val_loss"] + [p.data for p in model.parameters()]


def train_tensor_mlp(seed):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    labels = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(np.int64)
    g = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 16, rng=g), nn.ReLU(), nn.Linear(16, 2, rng=g))
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), (X, labels),
                     epochs=5, batch_size=16, val_data=(X[:32], labels[:32]), progress=False)
    weights = np.concatenate([p.data.ravel() for p in model.parameters()])
    return history["loss"] + history["val_loss"] + weights.tolist()


@pytest.mark.parametrize("train", [train_scalar_mlp, train_tensor_mlp], ids=["scalar MLP", "Tensor MLP"])
def test_eight_trainings_in_threads_give_the_serial_numbers_exactly(train, switch_often):
    seeds = [0, 1, 2, 3, 0, 1, 2, 3]
    serial = [train(seed) for seed in seeds]
    assert serial[0] == serial[4] and serial[0] != serial[1]  # the same seed trains the same way
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(train, seeds))
    for seed, ours, reference in zip(seeds, threaded, serial):
        assert ours == reference, f"seed {seed}: a training in a thread differs from the serial run"


def test_a_random_search_over_a_thread_pool_gives_the_serial_trials(switch_often):
    def objective(params):
        return train_scalar_mlp(params["seed"])[2]  # the last epoch's training loss

    space = {"seed": [0, 1, 2, 3, 4, 5]}  # a list: one of them, uniformly
    serial = optim.search.random_search(objective, space, 8, rng=0, progress=False)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        threaded = optim.search.random_search(objective, space, 8, rng=0, executor=pool, progress=False)
    assert all(trial.error is None for trial in threaded)
    assert [(t.params, t.score) for t in threaded] == [(t.params, t.score) for t in serial]


@pytest.mark.parametrize("name", [None, 3, b"layer", ["a"]], ids=repr)
def test_a_scope_needs_a_str_name(name):
    with pytest.raises(TypeError, match="Scope: name must be a str"):
        with autodiff.scope(name):
            pass
    assert context.current_scope() is None  # nothing was left open
    with pytest.raises(TypeError, match="parent must be a Scope"):
        autodiff.Scope("x", parent="outer")

"""nn.data: the batch arithmetic of the slides' homework (N = 100000, B = 100 or 128), a fresh
shuffle every epoch, splits that partition the data, K-fold against scikit-learn's KFold,
cross-validation and early stopping that puts the best parameters back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autodiff import Tensor, Value
from nn.data import (
    Batches,
    EarlyStopping,
    batches,
    batches_per_epoch,
    cross_validate,
    epochs_for,
    kfold,
    train_test_split,
    train_val_test_split,
)

PROPERTY = settings(max_examples=60, deadline=None)


def indexed(n: int) -> tuple[np.ndarray, np.ndarray]:
    """X whose row i is (i, 2i), y = i: a batch tells exactly which samples it holds."""
    index = np.arange(n)
    return np.stack([index, 2 * index], axis=1).astype(float), index


# -- batches: the homework's numbers -----------------------------------------------------------


def test_homework_batch_size_100_gives_1000_batches_and_30_epochs():
    X, y = indexed(100_000)
    data = batches(X, y, batch_size=100, rng=0)
    sizes = [len(xb) for xb, _ in data]
    assert len(data) == 1000 and sizes == [100] * 1000
    assert epochs_for(30_000, 100_000, 100) == 30.0


def test_homework_batch_size_128_gives_782_batches_the_last_of_32():
    X, y = indexed(100_000)
    data = batches(X, y, batch_size=128, rng=0)
    sizes = [len(xb) for xb, _ in data]
    assert len(data) == 782 == len(sizes)
    assert sizes[:781] == [128] * 781 and sizes[-1] == 32
    assert batches_per_epoch(100_000, 128) == 782
    assert round(epochs_for(30_000, 100_000, 128), 1) == 38.4
    assert epochs_for(30_000, 100_000, 128) == pytest.approx(30_000 / 782)


def test_30000_iterations_of_batch_128_run_38_whole_epochs_and_284_batches():
    data = batches(np.zeros((100_000, 1)), np.zeros(100_000), 128, rng=0)
    iterations, whole_epochs = 0, 0
    while iterations < 30_000:
        for _ in data:
            iterations += 1
            if iterations == 30_000:
                break
        else:
            whole_epochs += 1
    assert whole_epochs == 38 and 30_000 - 38 * 782 == 284


def test_drop_last_leaves_out_the_short_batch():
    X, y = indexed(100_000)
    data = batches(X, y, 128, drop_last=True, rng=0)
    assert len(data) == 781 == batches_per_epoch(100_000, 128, drop_last=True)
    assert {len(xb) for xb, _ in data} == {128}
    assert epochs_for(30_000, 100_000, 128, drop_last=True) == pytest.approx(30_000 / 781)


def test_batch_gd_sgd_and_mini_batch_are_one_function():
    X, y = indexed(10)
    [(xb, yb)] = list(batches(X, y, batch_size=10, shuffle=False))  # batch GD: all N at once
    np.testing.assert_array_equal(xb, X)
    np.testing.assert_array_equal(yb, y)
    sgd = list(batches(X, y, batch_size=1, rng=0))  # SGD: N updates of one sample
    assert len(sgd) == 10 and all(len(xb) == 1 for xb, _ in sgd)
    assert sorted(int(yb[0]) for _, yb in sgd) == list(range(10))
    assert [len(xb) for xb, _ in batches(X, y, 4, rng=0)] == [4, 4, 2]
    assert len(batches(X, y, batch_size=50)) == 1  # more than N: one batch of all N


def test_each_epoch_is_a_fresh_permutation_and_the_seed_fixes_them_all():
    X, y = indexed(50)
    data = batches(X, y, 8, rng=123)
    epochs = [np.concatenate([yb for _, yb in data]) for _ in range(3)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(50))  # every sample once
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])
    again = batches(X, y, 8, rng=123)
    for order in epochs:
        np.testing.assert_array_equal(np.concatenate([yb for _, yb in again]), order)
    generator = np.random.default_rng(5)  # a Generator is used as it is, not copied
    first = np.concatenate([yb for _, yb in batches(X, y, 8, rng=generator)])
    second = np.concatenate([yb for _, yb in batches(X, y, 8, rng=generator)])
    assert not np.array_equal(first, second)


def test_rows_of_x_stay_with_their_labels():
    X, y = indexed(37)
    for xb, yb in batches(X, y, 5, rng=1):
        np.testing.assert_array_equal(xb[:, 0], yb)
        np.testing.assert_array_equal(xb[:, 1], 2 * yb)


def test_without_shuffle_batches_are_views_in_order():
    X, y = indexed(10)
    parts = list(batches(X, y, 3, shuffle=False))
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in parts]), np.arange(10))
    assert all(np.shares_memory(xb, X) for xb, _ in parts)


def test_batches_of_x_alone_tensors_and_lists():
    X, _ = indexed(6)
    assert [yb for _, yb in batches(X, None, 4)] == [None, None]
    from_tensor = list(batches(Tensor(X), np.arange(6), 6, shuffle=False))
    np.testing.assert_array_equal(from_tensor[0][0], X)
    from_lists = list(batches([[1, 2], [3, 4], [5, 6]], [0, 1, 0], 2, shuffle=False))
    np.testing.assert_array_equal(from_lists[1][0], [[5, 6]])
    assert isinstance(batches(X, None, 2), Batches) and "batches=3" in repr(batches(X, None, 2))


@PROPERTY
@given(
    n=st.integers(1, 300), batch_size=st.integers(1, 64), drop_last=st.booleans(), seed=st.integers(0, 2**16)
)
def test_batch_count_sizes_and_coverage(n, batch_size, drop_last, seed):
    if drop_last and batch_size > n:
        with pytest.raises(ValueError, match="no batch"):
            batches(np.zeros(n), np.zeros(n), batch_size, drop_last=drop_last)
        return
    X, y = indexed(n)
    data = batches(X, y, batch_size, drop_last=drop_last, rng=seed)
    sizes = [len(yb) for _, yb in data]
    expected = n // batch_size if drop_last else -(-n // batch_size)
    assert len(data) == len(sizes) == expected
    assert all(size == batch_size for size in sizes[:-1])
    seen = np.concatenate([yb for _, yb in data])
    assert len(np.unique(seen)) == len(seen) == (expected * batch_size if drop_last else n)


def test_batches_refuse_bad_input_naming_the_problem():
    with pytest.raises(ValueError, match=r"X has 10 samples but y has 9"):
        batches(np.zeros((10, 2)), np.zeros(9), 4)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        batches(np.zeros(10), np.zeros(10), 0)
    with pytest.raises(ValueError, match="batch_size"):
        batches(np.zeros(10), np.zeros(10), 2.5)
    with pytest.raises(ValueError, match="at least one sample"):
        batches(np.zeros((0, 2)), np.zeros(0), 4)
    with pytest.raises(ValueError, match="single number"):
        batches(3.0, None, 1)
    with pytest.raises(TypeError, match="rng"):
        batches(np.zeros(4), np.zeros(4), 2, rng="seed")


# -- splits ---------------------------------------------------------------------------------


def test_train_test_split_partitions_the_data_and_keeps_pairs():
    X, y = indexed(103)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0)
    assert len(y_test) == 21 and len(y_train) == 82  # ⌈0.2 · 103⌉ = 21, as scikit-learn
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_test])), np.arange(103))
    np.testing.assert_array_equal(X_train[:, 0], y_train)
    np.testing.assert_array_equal(X_test[:, 0], y_test)
    assert not np.array_equal(y_test, np.arange(82, 103))  # shuffled
    assert len(train_test_split(X, y, test_size=30, rng=0)[1]) == 30  # a count
    again = train_test_split(X, y, test_size=0.2, rng=0)
    np.testing.assert_array_equal(again[3], y_test)


def test_train_test_split_without_shuffle_is_scikit_learns():
    from sklearn.model_selection import train_test_split as sklearn_split

    X, y = indexed(50)
    for ours, theirs in zip(
        train_test_split(X, y, test_size=0.3, shuffle=False),
        sklearn_split(X, y, test_size=0.3, shuffle=False),
    ):
        np.testing.assert_array_equal(ours, theirs)


def test_train_val_test_split_partitions_in_three():
    X, y = indexed(100)
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, 0.1, 0.2, rng=3)
    assert (len(y_train), len(y_val), len(y_test)) == (70, 10, 20)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_val, y_test])), np.arange(100))
    for Xp, yp in ((X_train, y_train), (X_val, y_val), (X_test, y_test)):
        np.testing.assert_array_equal(Xp[:, 0], yp)
    ordered = train_val_test_split(X, y, 10, 20, shuffle=False)
    np.testing.assert_array_equal(ordered[3], np.arange(70))
    np.testing.assert_array_equal(ordered[4], np.arange(70, 80))
    np.testing.assert_array_equal(ordered[5], np.arange(80, 100))


def test_splits_refuse_bad_sizes_and_lengths():
    X, y = indexed(10)
    with pytest.raises(ValueError, match=r"X has 10 samples but y has 9"):
        train_test_split(X, y[:9])
    with pytest.raises(ValueError, match="test_size must be a fraction"):
        train_test_split(X, y, test_size=1.0)
    with pytest.raises(ValueError, match="test_size=0 gives 0"):
        train_test_split(X, y, test_size=0)
    with pytest.raises(ValueError, match="leave no training sample"):
        train_test_split(X, y, test_size=10)
    with pytest.raises(ValueError, match="leave no training sample"):
        train_val_test_split(X, y, val_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match="needs targets y"):
        train_test_split(X, None)


# -- K-fold ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n, k", [(10, 3), (7, 7), (100, 5), (11, 2)])
def test_kfold_without_shuffle_is_scikit_learns(n, k):
    from sklearn.model_selection import KFold

    for (train, val), (sk_train, sk_val) in zip(kfold(n, k, shuffle=False), KFold(k).split(np.zeros(n))):
        np.testing.assert_array_equal(train, sk_train)
        np.testing.assert_array_equal(val, sk_val)


@PROPERTY
@given(n=st.integers(2, 200), k=st.integers(2, 12), shuffle=st.booleans(), seed=st.integers(0, 2**16))
def test_kfold_folds_are_disjoint_and_cover_every_index_once(n, k, shuffle, seed):
    if k > n:
        with pytest.raises(ValueError, match=f"cannot make {k} folds out of {n}"):
            kfold(n, k)
        return
    folds = kfold(n, k, shuffle, rng=seed)
    assert len(folds) == k
    validation = np.concatenate([val for _, val in folds])
    np.testing.assert_array_equal(np.sort(validation), np.arange(n))  # each index in exactly one fold
    sizes = [len(val) for _, val in folds]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    for train, val in folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), np.arange(n))


def test_kfold_shuffles_with_the_seed_and_refuses_bad_k():
    assert not np.array_equal(kfold(20, 4, rng=0)[0][1], np.arange(5))
    np.testing.assert_array_equal(kfold(20, 4, rng=0)[2][1], kfold(20, 4, rng=0)[2][1])
    with pytest.raises(ValueError, match="k must be an integer >= 2"):
        kfold(10, 1)


def test_cross_validate_trains_k_models_and_averages_their_validation_scores():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=60)
    seen = []

    def make_model():
        return {"w": None}

    def fit_and_score(model, X_train, y_train, X_val, y_val):
        seen.append((len(X_train), len(X_val)))
        model["w"] = np.linalg.lstsq(X_train, y_train, rcond=None)[0]
        return float(np.mean((X_val @ model["w"] - y_val) ** 2))

    result = cross_validate(make_model, fit_and_score, X, y, k=4, rng=7)
    assert seen == [(45, 15)] * 4
    expected = []
    for train, val in kfold(60, 4, rng=7):
        w = np.linalg.lstsq(X[train], y[train], rcond=None)[0]
        expected.append(np.mean((X[val] @ w - y[val]) ** 2))
    np.testing.assert_allclose(result.scores, expected)
    assert result.mean == pytest.approx(np.mean(expected)) and result.std == pytest.approx(np.std(expected))
    assert len({id(m) for m in result.models}) == 4 and all(m["w"] is not None for m in result.models)
    assert result.mean < 0.02  # the noise variance is 0.01
    with pytest.raises(ValueError, match=r"X has 60 samples but y has 59"):
        cross_validate(make_model, fit_and_score, X, y[:59])


# -- early stopping ---------------------------------------------------------------------------


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    stopper = EarlyStopping(patience=3)
    losses = [1.0, 0.8, 0.7, 0.75, 0.72, 0.69, 0.71, 0.70, 0.70, 0.5]
    decisions = [stopper.step(v) for v in losses]
    assert decisions == [False] * 8 + [True, False]
    # 0.69 at epoch 5 improved; epochs 6, 7, 8 did not: stop after epoch 8
    assert stopper.best == 0.5 and stopper.best_epoch == 9 and stopper.epoch == 10


def test_early_stopping_min_delta_mode_max_and_nan():
    stopper = EarlyStopping(patience=2, min_delta=0.01)
    assert [stopper.step(v) for v in [1.0, 0.995, 0.992]] == [False, False, True]  # less than 0.01 better
    assert stopper.best == 1.0 and stopper.should_stop
    up = EarlyStopping(patience=1, mode="max")
    assert [up.step(v) for v in [0.5, 0.6, 0.6]] == [False, False, True]
    assert up.best == 0.6 and up.best_epoch == 1
    nan = EarlyStopping(patience=2)
    nan_values = [float("nan"), 1.0, float("nan"), float("nan")]
    assert [nan.step(v) for v in nan_values] == [False, False, False, True]
    assert nan.best == 1.0
    assert EarlyStopping(patience=1).step(np.float64(2.0)) is False  # numpy numbers and 1-element Tensors
    assert EarlyStopping(patience=1).step(Tensor([2.0]).sum()) is False
    assert EarlyStopping(patience=1).step(Value(2.0)) is False
    with pytest.raises(ValueError, match="one number per epoch"):
        EarlyStopping(patience=1).step(np.array([1.0, 2.0]))


def train_step(model: nn.Module, rng: np.random.Generator) -> None:
    """Change every parameter in place (as an optimizer does)."""
    for p in model.parameters():
        if isinstance(p, Value):
            p.data += float(rng.normal())
        else:
            p.data += rng.normal(size=p.data.shape)


def test_early_stopping_restores_the_best_tensor_model_and_its_buffers():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.Linear(4, 1, rng=1))
    rng = np.random.default_rng(0)
    stopper = EarlyStopping(patience=2)
    stopper.step(0.5, model)
    best = {name: value.copy() for name, value in model.state_dict().items()}
    model[1].running_mean += 1.0  # the buffers are part of the snapshot too
    for value in [0.6, 0.7]:
        train_step(model, rng)  # in-place changes must not reach the kept copy
        stopped = stopper.step(value, model)
    assert stopped
    assert stopper.restore(model) is model
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, best[name])


def test_early_stopping_restores_the_scalar_mlp_and_a_list_of_values():
    mlp = nn.MLP(2, [3, 1], seed=0)
    rng = np.random.default_rng(1)
    stopper = EarlyStopping(patience=1)
    stopper.step(1.0, mlp)
    best = [p.data for p in mlp.parameters()]
    train_step(mlp, rng)
    assert stopper.step(2.0, mlp)
    stopper.restore(mlp)
    assert [p.data for p in mlp.parameters()] == best
    assert all(isinstance(p.data, float) for p in mlp.parameters())

    w, b = Value(1.0), Value(2.0)
    stopper = EarlyStopping(patience=1)
    stopper.step(0.1, [w, b])
    w.data, b.data = 5.0, 6.0
    stopper.step(0.3, [w, b])
    stopper.restore([w, b])
    assert (w.data, b.data) == (1.0, 2.0)
    t = Tensor(np.ones(3, np.float32), requires_grad=True)
    stopper = EarlyStopping(patience=1)
    stopper.step(0.1, [t])
    t.data *= 3
    stopper.restore([t])
    np.testing.assert_array_equal(t.data, np.ones(3))
    assert t.data.dtype == np.float32


def test_early_stopping_refuses_bad_settings_and_restore_without_a_copy():
    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        EarlyStopping(0)
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(2, min_delta=-0.1)
    with pytest.raises(ValueError, match="mode must be 'min'"):
        EarlyStopping(2, mode="lower")
    stopper = EarlyStopping(2)
    stopper.step(1.0)
    with pytest.raises(RuntimeError, match=r"pass the model to step\(value, model\)"):
        stopper.restore(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="state_dict"):
        EarlyStopping(2).step(1.0, object())
    assert "best=1.0" in repr(stopper)


def test_a_seed_passed_where_a_flag_goes_is_refused_not_taken_as_true():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    with pytest.raises(TypeError, match=r"drop_last must be True or False, got Generator.*rng="):
        batches(X, y, 2, True, np.random.default_rng(0))
    with pytest.raises(TypeError, match="shuffle must be True or False, got int 0"):
        batches(X, y, 2, 0)
    assert [len(b) for b, _ in batches(X, y, 2, True, False, np.random.default_rng(0))] == [2, 2, 1]

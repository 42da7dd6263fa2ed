"""nn.fit, nn.evaluate, nn.predict and the History of a run (the slides' mini-batch training loop)."""

from __future__ import annotations

import io
import math
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import autodiff
from autodiff import Tensor
import nn
import optim
import viz
from nn import datasets
from nn import functional as F
from nn.data import EarlyStopping
from nn.training import predicted_labels


def regression_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([[1.5], [-2.0], [0.5]]) + 0.25 + 0.1 * rng.normal(size=(n, 1))
    return X, y


def blobs(n_per_class=40, seed=0):
    return datasets.make_blobs(3 * n_per_class, centers=[[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]], rng=seed)


class Probe(nn.Module):
    """The identity, noting the mode and whether a graph is recorded at each call."""

    def __init__(self):
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, autodiff.is_grad_enabled()))
        return x


# -- it learns ------------------------------------------------------------------------------


def test_linear_regression_reaches_the_least_squares_solution():
    X, y = regression_data()
    model = nn.Linear(3, 1, rng=0)
    history = nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.3), (X, y),
                     epochs=300, batch_size=len(X), progress=False)
    solution, *_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)
    np.testing.assert_allclose(model.weight.data, solution[:3], atol=1e-9)
    np.testing.assert_allclose(model.bias.data, solution[3], atol=1e-9)
    assert history["loss"][-1] == pytest.approx(np.mean((np.c_[X, np.ones(len(X))] @ solution - y) ** 2))


def test_minibatch_sgd_with_a_decaying_lr_gets_close_to_least_squares():
    X, y = regression_data(n=200)
    model = nn.Linear(3, 1, rng=0)
    schedule = optim.schedules.inverse_time_decay(0.1, 0.01)
    nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=schedule), (X, y), epochs=40, batch_size=16,
           progress=False)
    solution, *_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)
    np.testing.assert_allclose(model.weight.data, solution[:3], atol=0.02)


def test_a_classifier_on_blobs_reaches_high_accuracy():
    X, y = blobs()
    X_val, y_val = blobs(seed=1)
    model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.ReLU(), nn.Linear(16, 3, rng=1))
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (X, y),
                     epochs=15, batch_size=16, val_data=(X_val, y_val), metrics=["accuracy"], progress=False)
    assert history["val_accuracy"][-1] >= 0.95
    assert history["loss"][-1] < history["loss"][0]
    scores = nn.predict(model, X_val)
    assert scores.shape == (len(X_val), 3)
    result = nn.evaluate(model, nn.CrossEntropyLoss(), (X_val, y_val), metrics=["accuracy", "error_rate"])
    assert result["accuracy"] == history["val_accuracy"][-1] == nn.metrics.accuracy(y_val, scores.argmax(1))
    assert result["error_rate"] == pytest.approx(1 - result["accuracy"])
    assert result["loss"] == pytest.approx(history["val_loss"][-1])


def test_fit_does_what_the_hand_written_loop_does():
    X, y = regression_data(n=30)
    fitted, by_hand = nn.Linear(3, 1, rng=0), nn.Linear(3, 1, rng=0)
    nn.fit(fitted, F.mse_loss, optim.SGD(fitted.parameters(), lr=0.1, momentum=0.9), (X, y),
           epochs=3, batch_size=8, shuffle=False, progress=False)
    opt = optim.SGD(by_hand.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        for start in range(0, 30, 8):
            opt.zero_grad()
            F.mse_loss(by_hand(autodiff.Tensor(X[start:start + 8])), y[start:start + 8]).backward()
            opt.step()
    np.testing.assert_array_equal(fitted.weight.data, by_hand.weight.data)
    np.testing.assert_array_equal(fitted.bias.data, by_hand.bias.data)


# -- what the history holds ---------------------------------------------------------------------


def test_history_counts_iterations_and_epochs_exactly():
    X, y = regression_data(n=103)
    model = nn.Linear(3, 1, rng=0)
    history = nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.01), (X, y), epochs=4,
                     batch_size=10, val_data=(X[:20], y[:20]), progress=False)
    per_epoch = math.ceil(103 / 10)  # 11: ten batches of 10, one of 3
    assert len(history.iterations["loss"]) == len(history.iterations["lr"]) == 4 * per_epoch
    assert history.iterations["iteration"] == list(range(4 * per_epoch))
    assert [r["epoch"] for r in history.epochs] == [1, 2, 3, 4]
    assert [r["iterations"] for r in history.epochs] == [11, 22, 33, 44]
    assert list(history) == ["loss", "val_loss"] and len(history) == 2
    assert len(history["loss"]) == len(history["val_loss"]) == 4
    sizes = np.array([10] * 10 + [3])
    for epoch in range(4):  # the epoch's loss is the batch losses' mean weighted by batch size
        losses = np.array(history.iterations["loss"][epoch * 11:(epoch + 1) * 11])
        assert history["loss"][epoch] == pytest.approx(np.sum(losses * sizes) / 103, rel=1e-12)
    with pytest.raises(KeyError, match="val_accuracy"):
        history["val_accuracy"]
    with pytest.raises(KeyError):
        history["epoch"]  # bookkeeping: in the records, not a series
    assert history.best_epoch is None and history.stopped_epoch is None
    assert "4 epochs, 44 iterations" in repr(history)


def test_drop_last_leaves_out_the_short_batch_so_batchnorm_can_train():
    X, y = regression_data(n=21)  # batches of 4: five full ones and one of a single row
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.Linear(4, 1, rng=1))
    opt = optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match="at least 2 rows"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=1, batch_size=4, progress=False)
    history = nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=4, drop_last=True, progress=False)
    assert len(history.iterations["loss"]) == 2 * 5
    assert history["loss"][1] == pytest.approx(np.mean(history.iterations["loss"][5:]), rel=1e-12)


def test_the_lr_of_every_step_follows_the_schedule_and_continues_across_fits():
    X, y = regression_data(n=50)
    schedule = optim.schedules.step_decay(0.1, step_size=7, gamma=0.5)
    model = nn.Linear(3, 1, rng=0)
    opt = optim.SGD(model.parameters(), lr=schedule)
    first = nn.fit(model, F.mse_loss, opt, (X, y), epochs=3, batch_size=16, progress=False)  # 4 per epoch
    assert first.iterations["lr"] == [schedule(k) for k in range(12)]
    assert [r["lr"] for r in first.epochs] == [schedule(3), schedule(7), schedule(11)]
    second = nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=16, progress=False)
    assert second.iterations["iteration"] == list(range(12, 20))
    assert second.iterations["lr"] == [schedule(k) for k in range(12, 20)]
    assert opt.step_count == 20


def test_viz_plots_the_history_per_epoch_and_per_iteration():
    X, y = blobs(n_per_class=10)
    model = nn.Sequential(nn.Linear(2, 3, rng=0))
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
                     batch_size=8, val_data=(X, y), metrics=["accuracy"], progress=False)
    fig = viz.plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[0].lines[0].get_xdata()) == 3
    fig = viz.plot_history(history.iterations, x="iteration")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "lr"]
    assert fig.axes[0].get_xlabel() == "iteration" and len(fig.axes[0].lines[0].get_xdata()) == 12


def test_batches_are_reshuffled_every_epoch_by_a_seeded_rng():
    X = np.arange(20.0).reshape(20, 1)

    def orders(**options):
        seen = []

        def loss_fn(out, y):
            seen.extend(y[:, 0].tolist())
            return F.mse_loss(out, y)

        model = nn.Linear(1, 1, rng=0)
        nn.fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.0), (X, X), epochs=3, batch_size=6,
               progress=False, **options)
        return [seen[i * 20:(i + 1) * 20] for i in range(3)]

    epochs = orders(rng=1)
    assert all(sorted(order) == list(range(20)) for order in epochs)  # each epoch sees every row once
    assert epochs[0] != epochs[1] != epochs[2]
    assert orders(rng=1) == epochs  # the same seed, the same batches
    assert orders(rng=2) != epochs
    assert orders(shuffle=False) == [list(range(20))] * 3


# -- metrics and callbacks ----------------------------------------------------------------------


def test_metrics_by_name_function_pair_or_dict():
    X, y = blobs(n_per_class=10)
    model = nn.Sequential(nn.Linear(2, 3, rng=0))
    opt = optim.SGD(model.parameters(), lr=0.1)

    def top_score_mean(y_true, scores):
        return float(scores.max(axis=1).mean())

    top2 = ("top2", lambda t, s: nn.metrics.top_k_accuracy(t, s, 2))
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=30, val_data=(X, y),
                     metrics=["accuracy", top_score_mean, top2], progress=False)
    assert list(history) == ["loss", "accuracy", "top_score_mean", "top2", "val_loss", "val_accuracy",
                             "val_top_score_mean", "val_top2"]
    result = nn.evaluate(model, nn.CrossEntropyLoss(), (X, y), metrics={"mean": top_score_mean})
    assert result["mean"] == pytest.approx(top_score_mean(y, nn.predict(model, X)))


def test_training_metrics_are_measured_on_the_epochs_batches():
    X, y = blobs(n_per_class=10)
    model = nn.Sequential(nn.Linear(2, 3, rng=0))
    seen = []

    def loss_fn(out, yb):
        seen.append((out.data.argmax(axis=1), yb))
        return F.cross_entropy(out, yb)

    history = nn.fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=1, batch_size=7,
                     metrics=["accuracy"], progress=False)
    predicted, targets = (np.concatenate(parts) for parts in zip(*seen))
    assert history["accuracy"] == [np.mean(predicted == targets)]


def test_callbacks_see_each_record_may_add_series_and_may_stop():
    X, y = regression_data(n=20)
    model = nn.Linear(3, 1, rng=0)
    records = []

    def note(record):
        records.append(dict(record))
        record["weight_norm"] = float(np.linalg.norm(model.weight.data))

    def stop_after_three(record):
        return record["epoch"] == 3

    history = nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), (X, y), epochs=10,
                     batch_size=5, val_data=(X, y), callbacks=[note, stop_after_three], progress=False)
    assert len(history.epochs) == 3 and [r["epoch"] for r in records] == [1, 2, 3]
    assert set(records[0]) == {"epoch", "loss", "val_loss", "lr", "iterations", "seconds"}
    assert list(history) == ["loss", "val_loss", "weight_norm"]
    assert history["weight_norm"][-1] == pytest.approx(np.linalg.norm(model.weight.data))
    assert history.stopped_epoch is None  # stopped by a callback, not by early stopping



@pytest.mark.parametrize("value", ["fast", [1.0, 2.0], None, np.zeros(3)])
def test_a_callback_adding_something_other_than_a_number_is_named_when_it_does(value):
    # the history took it, and reading the history failed later: "could not convert string to float"
    X, y = regression_data(n=20)
    model = nn.Linear(3, 1, rng=0)

    def fine(record):
        record["weight_norm"] = np.float32(1.5)

    def note(record):
        record["note"] = value

    with pytest.raises(TypeError, match=r"fit: callback 1 put 'note' = .* into the epoch's record; the record"):
        nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), (X, y), epochs=3, batch_size=5,
               callbacks=[fine, note], progress=False)


# -- early stopping -----------------------------------------------------------------------------


def test_early_stopping_stops_at_the_right_epoch_and_restores_the_best_weights():
    X, y = regression_data(n=20)
    model = nn.Linear(3, 1, rng=0)
    scripted = [5.0, 4.0, 3.0, 3.5, 3.2, 2.0, 1.0]  # best at epoch 3, then two epochs without improvement
    weights = {}

    def score(record):
        record["score"] = scripted[record["epoch"] - 1]
        weights[record["epoch"]] = model.state_dict()

    history = nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), (X, y), epochs=7,
                     batch_size=5, callbacks=[score], early_stopping=EarlyStopping(patience=2),
                     monitor="score", progress=False)
    assert history.stopped_epoch == 5 and len(history.epochs) == 5
    assert history.best_epoch == 3
    assert history["score"] == scripted[:5]
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, weights[3][name])
    assert not np.array_equal(weights[3]["weight"], weights[5]["weight"])


def test_early_stopping_on_a_real_validation_loss_restores_its_minimum():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(12, 1))
    y = np.sin(3 * X) + 0.3 * rng.normal(size=X.shape)
    X_val = np.linspace(-1, 1, 100)[:, None]
    model = nn.Sequential(nn.Linear(1, 64, rng=0), nn.Tanh(), nn.Linear(64, 64, rng=1), nn.Tanh(),
                          nn.Linear(64, 1, rng=2))
    history = nn.fit(model, F.mse_loss, optim.Adam(model.parameters(), lr=0.01), (X, y), epochs=600,
                     batch_size=12, val_data=(X_val, np.sin(3 * X_val)), early_stopping=EarlyStopping(20),
                     progress=False)
    val = history["val_loss"]
    assert history.stopped_epoch == len(val) < 600
    assert history.best_epoch == int(np.argmin(val)) + 1 == len(val) - 20
    assert nn.evaluate(model, F.mse_loss, (X_val, np.sin(3 * X_val)))["loss"] == pytest.approx(min(val))


def test_early_stopping_watching_something_missing_is_an_error():
    X, y = regression_data(n=10)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="no val_data"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=5, early_stopping=EarlyStopping(1),
               progress=False)
    with pytest.raises(ValueError, match=r"watches 'val_acc', which the epoch's record lacks; it has \['ep"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=5, val_data=(X, y),
               early_stopping=EarlyStopping(1), monitor="val_acc", progress=False)


def test_a_bad_early_stopping_or_monitor_is_refused_before_the_first_update():
    X, y = regression_data(n=10)
    model = nn.Linear(3, 1, rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"early_stopping must be an nn.data.EarlyStopping .*int has no step"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=5, val_data=(X, y), early_stopping=5,
               progress=False)
    with pytest.raises(TypeError, match="monitor must name an entry of the epoch's record, got 3"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=5, val_data=(X, y),
               early_stopping=EarlyStopping(1), monitor=3, progress=False)
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        nn.fit(model, "mse", opt, (X, y), epochs=2, batch_size=5, progress=False)
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        nn.evaluate(model, "mse", (X, y))
    assert opt.step_count == 0


# -- modes ---------------------------------------------------------------------------------------


def test_training_runs_in_train_mode_and_validation_in_eval_mode_without_a_graph():
    X, y = regression_data(n=12)
    probe = Probe()
    model = nn.Sequential(probe, nn.Linear(3, 8, rng=0), nn.Dropout(0.5, rng=0), nn.BatchNorm1d(8),
                          nn.Linear(8, 1, rng=1))
    nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.01), (X, y), epochs=2, batch_size=6,
           val_data=(X, y), progress=False)
    # per epoch: two training batches of 6, then validation, also in batches of 6
    one_epoch = [(True, True)] * 2 + [(False, False)] * 2
    assert probe.calls == one_epoch * 2
    assert model.training and all(m.training for _, m in model.named_modules())


def test_every_submodule_gets_its_own_mode_back():
    X, y = regression_data(n=12)
    model = nn.Sequential(nn.Linear(3, 8, rng=0), nn.BatchNorm1d(8), nn.Linear(8, 1, rng=1))
    model[1].eval()  # frozen statistics, say
    frozen_mean = model[1].running_mean.copy()
    nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.01), (X, y), epochs=1, batch_size=6,
           progress=False)
    assert model.training and model[0].training and not model[1].training
    assert not np.array_equal(model[1].running_mean, frozen_mean)  # fit trained it in training mode
    model.eval()
    nn.predict(model, X)
    nn.evaluate(model, F.mse_loss, (X, y))
    assert not any(m.training for _, m in model.named_modules())


def test_evaluation_is_deterministic_with_dropout():
    X, y = regression_data(n=16)
    model = nn.Sequential(nn.Linear(3, 32, rng=0), nn.Dropout(0.5, rng=0), nn.Linear(32, 1, rng=1))
    first, second = nn.predict(model, X), nn.predict(model, X, batch_size=5)
    np.testing.assert_allclose(first, second, rtol=1e-12)
    assert nn.evaluate(model, F.mse_loss, (X, y))["loss"] == pytest.approx(
        nn.evaluate(model, F.mse_loss, (X, y), batch_size=3)["loss"], rel=1e-12)
    assert model.training  # still in the mode it was in


# -- the scalar engine ------------------------------------------------------------------------------


def svm_loss(outputs, y):
    assert all(isinstance(s, autodiff.Value) for s in outputs) and all(isinstance(t, int) for t in y)
    return sum((1 - t * s).relu() for t, s in zip(y, outputs)) * (1 / len(outputs))


def test_the_scalar_mlp_trains_on_lists_of_values():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(40, 2))
    X = X[np.abs(X[:, 0] + X[:, 1]) > 0.3][:24]  # two classes with a margin between them
    y = np.where(X[:, 0] + X[:, 1] > 0, 1, -1)
    model = nn.MLP(2, [8, 1], seed=0)
    history = nn.fit(model, svm_loss, optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=25, batch_size=8,
                     val_data=(X, y), metrics=["accuracy"], progress=False)
    assert len(history.iterations["loss"]) == 25 * 3
    assert history["val_accuracy"][-1] == 1.0 and history["val_loss"][-1] < history["val_loss"][0]
    scores = nn.predict(model, X)
    assert scores.shape == (24,) and np.all(np.sign(scores) == y)
    assert predicted_labels(scores, y).tolist() == y.tolist()


def test_a_scalar_mlp_with_several_outputs_gives_lists_of_values():
    X, y = blobs(n_per_class=4)
    model = nn.MLP(2, [4, 3], seed=0)

    def cross_entropy(outputs, targets):
        total = 0
        for scores, t in zip(outputs, targets):
            exps = [s.exp() for s in scores]
            total = total - (exps[t] / sum(exps)).log()
        return total * (1 / len(outputs))

    history = nn.fit(model, cross_entropy, optim.Adam(model.parameters(), lr=0.05), (X / 3, y), epochs=20,
                     batch_size=12, metrics=["accuracy"], progress=False)
    assert history["loss"][-1] < history["loss"][0] and history["accuracy"][-1] == 1.0
    assert nn.predict(model, X / 3).shape == (12, 3)


def moons_pm1(n, seed):
    X, y01 = datasets.make_moons(n, noise=0.1, rng=seed)
    return X, 2 * y01 - 1  # the hinge loss's labels -1 and +1


def test_micrograd_demo_trains_on_the_built_in_hinge_loss():
    # micrograd's demo, MLP(2, [16, 16, 1]) on two moons, with nn.HingeLoss and no loss written by hand;
    # mini-batches of 20 instead of the demo's full batch, so 30 epochs are enough
    X, y = moons_pm1(100, seed=0)
    X_test, y_test = moons_pm1(200, seed=1)  # other points of the same moons
    model = nn.MLP(2, [16, 16, 1], seed=0)
    lr = optim.schedules.linear_decay(0.2, total_steps=150, lr_end=0.02)
    history = nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=lr), (X, y), epochs=30,
                     batch_size=20, val_data=(X_test, y_test), metrics=["accuracy"], progress=False)
    trained = nn.evaluate(model, nn.HingeLoss(), (X, y), metrics=["accuracy"])
    assert history["accuracy"][0] < 0.9  # it starts far from there
    assert trained["accuracy"] >= 0.95 and history["val_accuracy"][-1] >= 0.95  # measured: 0.99 and 0.99
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    scores = nn.predict(model, X_test)
    hinge = np.maximum(0, 1 - y_test * scores).mean()
    assert history["val_loss"][-1] == pytest.approx(hinge, rel=1e-12)


def test_the_hinge_loss_module_steps_as_the_hand_written_loss_does():
    X, y = moons_pm1(30, seed=2)
    by_module, by_hand = nn.MLP(2, [8, 8, 1], seed=3), nn.MLP(2, [8, 8, 1], seed=3)
    runs = [nn.fit(model, loss, optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=2, batch_size=10,
                   progress=False) for model, loss in ((by_module, nn.HingeLoss()), (by_hand, svm_loss))]
    np.testing.assert_allclose(runs[0].iterations["loss"], runs[1].iterations["loss"], rtol=1e-12)
    ours, theirs = ([p.data for p in model.parameters()] for model in (by_module, by_hand))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("loss_fn", [nn.CrossEntropyLoss(), nn.MultiMarginLoss()], ids=repr)
def test_a_scalar_mlp_with_three_outputs_trains_on_the_built_in_multiclass_losses(loss_fn):
    X, y = blobs(n_per_class=10)
    X_test, y_test = blobs(n_per_class=20, seed=1)
    model = nn.MLP(2, [16, 3], seed=0)
    history = nn.fit(model, loss_fn, optim.Adam(model.parameters(), lr=0.02), (X / 3, y), epochs=20,
                     batch_size=10, val_data=(X_test / 3, y_test), metrics=["accuracy"], progress=False)
    assert history["loss"][-1] < 0.05 * history["loss"][0]
    assert history["accuracy"][-1] == 1.0 and history["val_accuracy"][-1] >= 0.95  # measured: 59 of 60
    scores = nn.predict(model, X_test / 3)
    assert history["val_loss"][-1] == pytest.approx(loss_fn(Tensor(scores), y_test).item(), rel=1e-12)


def test_a_scalar_regression_takes_a_column_of_targets():
    X, y = regression_data(n=12)  # y has shape (12, 1), the MLP one Value per row
    runs = []
    for targets in (y, y[:, 0]):
        model = nn.MLP(3, [4, 1], seed=0)
        opt = optim.SGD(model.parameters(), lr=0.01)
        runs.append(nn.fit(model, nn.MSELoss(), opt, (X, targets), epochs=3, batch_size=4, progress=False))
    assert runs[0].iterations["loss"] == runs[1].iterations["loss"]
    assert runs[0]["loss"][-1] < runs[0]["loss"][0]
    model = nn.MLP(3, [4, 1], seed=0)
    expected = np.mean((nn.predict(model, X) - y[:, 0]) ** 2)
    assert nn.evaluate(model, nn.MSELoss(), (X, y))["loss"] == pytest.approx(expected, rel=1e-12)


def test_a_built_in_loss_refuses_the_wrong_labels_before_any_update():
    X, y = moons_pm1(10, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"hinge_loss: labels must be -1 or \+1"):
        nn.fit(model, nn.HingeLoss(), opt, (X, (y + 1) // 2), epochs=1, batch_size=5, progress=False)
    two_columns = np.stack([y, y], axis=1)
    with pytest.raises(ValueError, match=r"input is a list of 5 Values .* target is 5 lists of 2 targets"):
        nn.fit(model, nn.MSELoss(), opt, (X, two_columns), epochs=1, batch_size=5, progress=False)
    assert opt.step_count == 0


# -- bad input ------------------------------------------------------------------------------------


@pytest.fixture
def setup():
    X, y = regression_data(n=10)
    model = nn.Linear(3, 1, rng=0)
    return model, optim.SGD(model.parameters(), lr=0.1), X, y


def test_mismatched_lengths_name_both_numbers(setup):
    model, opt, X, y = setup
    with pytest.raises(ValueError, match=r"train_data has 10 inputs .* but 9 targets"):
        nn.fit(model, F.mse_loss, opt, (X, y[:9]), epochs=1, batch_size=2, progress=False)
    with pytest.raises(ValueError, match=r"val_data has 10 inputs .* but 8 targets"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=1, batch_size=2, val_data=(X, y[:8]), progress=False)
    with pytest.raises(ValueError, match=r"data has 10 inputs .* but 7 targets"):
        nn.evaluate(model, F.mse_loss, (X, y[:7]))
    with pytest.raises(TypeError, match=r"pair \(X, y\)"):
        nn.fit(model, F.mse_loss, opt, X, epochs=1, batch_size=2, progress=False)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, None])
def test_batch_size_must_be_a_positive_int(setup, batch_size):
    model, opt, X, y = setup
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=1, batch_size=batch_size, progress=False)


def test_other_bad_arguments_are_named(setup):
    model, opt, X, y = setup
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=0, batch_size=2, progress=False)
    with pytest.raises(TypeError, match="one Value or a Tensor with one element.*shape \\(10, 1\\)"):
        nn.fit(model, lambda out, t: F.mse_loss(out, t, reduction="none"), opt, (X, y), epochs=1,
               batch_size=10, progress=False)
    with pytest.raises(ValueError, match="none of the model's parameters"):
        nn.fit(nn.Linear(3, 1), F.mse_loss, opt, (X, y), epochs=1, batch_size=2, progress=False)
    with pytest.raises(TypeError, match="must be an optim.Optimizer"):
        nn.fit(model, F.mse_loss, object(), (X, y), epochs=1, batch_size=2, progress=False)
    with pytest.raises(TypeError, match="must be an nn.Module"):
        nn.predict(lambda x: x, X)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=1, batch_size=2, metrics=["f1"], progress=False)
    with pytest.raises(TypeError, match="wrap one metric in a list"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=1, batch_size=2, metrics="accuracy", progress=False)
    with pytest.raises(ValueError, match="no usable name"):
        nn.evaluate(model, F.mse_loss, (X, y), metrics=[lambda t, s: 0.0])
    with pytest.raises(TypeError, match="callback 0 is a str"):
        nn.fit(model, F.mse_loss, opt, (X, y), epochs=1, batch_size=2, callbacks=["print"], progress=False)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        nn.predict(model, X, batch_size=0)
    assert opt.step_count == 0  # every check came before the first update


# -- the progress bar and the labels of scores ------------------------------------------------------


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, as a console's is."""

    def isatty(self):
        return True


def test_on_a_terminal_the_bar_is_drawn_and_can_be_turned_off(setup, monkeypatch):
    model, opt, X, y = setup
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=5, progress=False)
    assert terminal.getvalue() == ""
    nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=5)
    drawn = terminal.getvalue()
    assert "fit" in drawn and "4/4" in drawn and "loss=" in drawn
    assert drawn.count("\n") == 1  # one bar, redrawn in place with carriage returns, left as one line


def test_where_nobody_watches_there_is_no_bar(setup, capsys):
    # stderr captured by pytest is not a terminal, as a log file or nbconvert's is not
    model, opt, X, y = setup
    nn.fit(model, F.mse_loss, opt, (X, y), epochs=2, batch_size=5)
    assert capsys.readouterr().err == ""


def test_predicted_labels_of_scores():
    assert predicted_labels(np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]])).tolist() == [1, 0]
    assert predicted_labels(np.array([0.5, -0.2, 0.0])).tolist() == [1, 0, 0]
    assert predicted_labels(np.array([[0.5], [-0.2]]), y_true=[1, -1]).tolist() == [1, -1]
    with pytest.raises(ValueError, match="shape"):
        predicted_labels(np.zeros((2, 2, 2)))



# -- against PyTorch ------------------------------------------------------------------------------


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is these tests' oracle: pip install torch==2.13.0")


def _torch_twin(torch, model):
    """A torch Sequential with the same weights (each transposed) as ours, of Linear and Tanh."""
    layers = []
    for module in model:
        if isinstance(module, nn.Linear):
            layer = torch.nn.Linear(module.in_features, module.out_features, dtype=torch.float64)
            with torch.no_grad():
                layer.weight.copy_(torch.tensor(module.weight.data.T))
                layer.bias.copy_(torch.tensor(module.bias.data))
            layers.append(layer)
        else:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def _torch_loop(torch, twin, loss, X, y, batch_size, rng, epochs, lr):
    """PyTorch's own SGD loop over the batches nn.data.batches gives for ``rng``: each epoch's
    batch losses, as far as the first one that is not finite."""
    opt = torch.optim.SGD(twin.parameters(), lr=lr, momentum=0.9)
    data, losses = nn.data.batches(X, y, batch_size, rng=rng), []
    for _ in range(epochs):
        losses.append([])
        for X_batch, y_batch in data:
            opt.zero_grad()
            value = loss(twin(torch.tensor(X_batch)), torch.tensor(y_batch))
            value.backward()
            opt.step()
            losses[-1].append(value.item())
            if not math.isfinite(value.item()):
                return losses
    return losses


def test_an_epoch_of_fit_is_pytorchs_loop_over_the_same_batches(torch):
    X, y = blobs(n_per_class=13)  # 39 rows in batches of 8: the last one holds 7
    model = nn.Sequential(nn.Linear(2, 6, rng=1), nn.Tanh(), nn.Linear(6, 3, rng=2))
    twin = _torch_twin(torch, model)
    sgd = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = nn.fit(model, nn.CrossEntropyLoss(), sgd, (X, y), epochs=2, batch_size=8, rng=5,
                     metrics=["accuracy"], progress=False)
    expected = _torch_loop(torch, twin, torch.nn.functional.cross_entropy, X, y, 8, 5, epochs=2, lr=0.1)
    np.testing.assert_allclose(history.iterations["loss"], sum(expected, []), rtol=1e-10, atol=0)
    sizes = [8, 8, 8, 8, 7]
    np.testing.assert_allclose(history["loss"], [np.dot(sizes, epoch) / 39 for epoch in expected], rtol=1e-10)
    for ours, theirs in zip((model[0], model[2]), (twin[0], twin[2])):
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy().T, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(ours.bias.data, theirs.bias.detach().numpy(), rtol=1e-10, atol=1e-13)
    with torch.no_grad():
        accuracy = (twin(torch.tensor(X)).argmax(1).numpy() == y).mean()
    assert nn.evaluate(model, nn.CrossEntropyLoss(), (X, y), ["accuracy"])["accuracy"] == accuracy


def test_a_loss_that_goes_infinite_ends_training_with_a_warning_where_pytorch_blows_up(torch):
    # it went on, epoch after epoch of inf and NaN, without a word
    X, y = regression_data(n=20)
    X = 10 * X
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    twin = _torch_twin(torch, model)
    expected = _torch_loop(torch, twin, torch.nn.functional.mse_loss, X, y, 6, 3, epochs=50, lr=0.5)
    assert not math.isfinite(expected[-1][-1]) and len(expected) < 50
    epoch, iteration = len(expected), len(sum(expected, [])) - 1
    diverged = rf"fit: the loss is (inf|nan) at epoch {epoch}, iteration {iteration} \(learning rate 0.5\)"
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(RuntimeWarning, match=diverged):
        history = nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.5, momentum=0.9), (X, y),
                         epochs=50, batch_size=6, rng=3, progress=False)
    assert len(history.epochs) == epoch and len(history.iterations["loss"]) == iteration + 1
    np.testing.assert_allclose(history.iterations["loss"][:-1], sum(expected, [])[:-1], rtol=1e-10)
    assert not math.isfinite(history["loss"][-1])

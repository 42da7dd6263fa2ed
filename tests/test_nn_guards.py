"""nn refuses what it would answer wrongly or with a bare numpy error: integer dtypes for
layers, NaN or out-of-range settings, hostile state files, and junk arguments to the public
constructors and functions (each refused with a TypeError or ValueError naming the argument)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autodiff import Tensor

# -- dtypes: a layer's numbers are floats ------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int64, "int32", np.uint8, bool, np.complex128, object])
@pytest.mark.parametrize("make", [
    lambda dtype: nn.Linear(2, 3, dtype=dtype),
    lambda dtype: nn.DropConnect(2, 3, dtype=dtype),
    lambda dtype: nn.BatchNorm1d(2, dtype=dtype),
], ids=["Linear", "DropConnect", "BatchNorm1d"])
def test_layers_refuse_a_dtype_that_is_not_floating_point(make, dtype):
    with pytest.raises(TypeError, match=rf"dtype must be a floating-point.*got {np.dtype(dtype).name}"):
        make(dtype)


def test_float32_layers_stay_float32_and_their_running_statistics_are_not_truncated():
    layer = nn.Linear(2, 3, rng=0, dtype=np.float32)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    norm = nn.BatchNorm1d(2, momentum=0.5, dtype=np.float32)
    norm(np.array([[0.0, 1.0], [1.0, 2.0]], dtype=np.float32))
    # running_mean = 0.5·0 + 0.5·(0.5, 1.5); running_var = 0.5·1 + 0.5·(0.5·2/1) (unbiased)
    np.testing.assert_allclose(norm.running_mean, [0.25, 0.75])
    np.testing.assert_allclose(norm.running_var, [0.75, 0.75])
    assert norm.running_mean.dtype == np.float32


# -- settings that are NaN, infinite or out of range ----------------------------------------------------


@pytest.mark.parametrize("penalty", [nn.l1_penalty, nn.l2_penalty], ids=["l1", "l2"])
@pytest.mark.parametrize("lam", [math.nan, math.inf, -math.inf, -0.1])
def test_penalties_refuse_a_lambda_that_is_nan_infinite_or_negative(penalty, lam):
    with pytest.raises(ValueError, match=rf"{penalty.__name__}: lam must be"):
        penalty(nn.Linear(2, 2, rng=0), lam=lam)


@pytest.mark.parametrize("penalty", [nn.l1_penalty, nn.l2_penalty], ids=["l1", "l2"])
def test_penalties_refuse_a_lambda_that_is_not_a_number(penalty):
    with pytest.raises(TypeError, match="lam must be a real number"):
        penalty(nn.Linear(2, 2, rng=0), lam="0.1")


def test_penalties_still_compute_the_slides_numbers():
    layer = nn.Linear(2, 1, rng=0)
    layer.weight.data[...] = [[3.0], [-4.0]]
    assert nn.l2_penalty(layer, 0.1).item() == pytest.approx(0.5 * 0.1 * 25.0)
    assert nn.l1_penalty(layer, 0.1).item() == pytest.approx(0.1 * 7.0)


@pytest.mark.parametrize("settings, message", [
    ({"eps": math.inf}, "eps must be a finite number"),
    ({"eps": math.nan}, "eps must be a finite number"),
    ({"eps": 0.0}, "eps must be > 0"),
    ({"eps": -1e-5}, "eps must be > 0"),
    ({"momentum": math.nan}, "momentum must be a finite number"),
    ({"momentum": 1.5}, r"momentum must be in \[0.0, 1.0\]"),
    ({"momentum": -0.1}, r"momentum must be in \[0.0, 1.0\]"),
])
def test_batchnorm_refuses_eps_and_momentum_out_of_range(settings, message):
    with pytest.raises(ValueError, match=f"BatchNorm1d: {message}"):
        nn.BatchNorm1d(2, **settings)


@pytest.mark.parametrize("settings", [{"eps": "1e-5"}, {"momentum": None}, {"eps": True}])
def test_batchnorm_refuses_settings_that_are_not_numbers(settings):
    (name,) = settings
    with pytest.raises(TypeError, match=f"BatchNorm1d: {name} must be a real number"):
        nn.BatchNorm1d(2, **settings)


# -- junk arguments: a TypeError or ValueError naming the argument, never a bare numpy error ----------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import optim  # noqa: E402
from nn import data, datasets, init, metrics  # noqa: E402
from nn import functional as F  # noqa: E402

JUNK = st.one_of(
    st.sampled_from([None, "3", "x", "", math.nan, math.inf, -math.inf, -1, -3, 0, True, [], [1, 2], {}, object()]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**12, 0),
    st.text(max_size=3),
    st.lists(st.integers(0, 3), min_size=0, max_size=3).map(lambda shape: np.zeros(shape)),
)

X3, Y1, CLASSES, SCORES = np.ones((6, 3)), np.zeros((6, 1)), np.array([0, 1, 2, 0, 1, 2]), np.ones((6, 3))


def fit(**arguments):
    model = nn.Linear(3, 1, rng=0)
    defaults = dict(train_data=(X3, Y1), epochs=1, batch_size=2, val_data=None, metrics=())
    return nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1), **{**defaults, **arguments}, progress=False)


def evaluate(**arguments):
    return nn.evaluate(nn.Linear(3, 1, rng=0), F.mse_loss, **{"data": (X3, Y1), **arguments})


def predict(**arguments):
    return nn.predict(nn.Linear(3, 1, rng=0), **{"X": X3, **arguments})


def penalty(**arguments):
    return nn.l2_penalty(**{"params": nn.Linear(2, 2, rng=0), "lam": 0.1, **arguments})


# each entry: the function and a valid set of its arguments; each argument in turn gets junk
ENTRY_POINTS = {
    "Linear": (nn.Linear, dict(in_features=3, out_features=2, bias=True)),
    "DropConnect": (nn.DropConnect, dict(in_features=3, out_features=2, p=0.5, mode="inverted")),
    "Dropout": (nn.Dropout, dict(p=0.5, mode="inverted")),
    "BatchNorm1d": (nn.BatchNorm1d, dict(num_features=2, eps=1e-5, momentum=0.1)),
    "Neuron": (nn.Neuron, dict(nin=2, activation="relu")),
    "Layer": (nn.Layer, dict(nin=2, nout=2)),
    "MLP": (nn.MLP, dict(nin=2, nouts=[2, 1])),
    "LeakyReLU": (nn.LeakyReLU, dict(negative_slope=0.01)),
    "ELU": (nn.ELU, dict(alpha=1.0)),
    "GELU": (nn.GELU, dict(approximate="none")),
    "Softmax": (nn.Softmax, dict(axis=-1)),
    "MSELoss": (nn.MSELoss, dict(reduction="mean")),
    "MultiMarginLoss": (nn.MultiMarginLoss, dict(margin=1.0)),
    "mse_loss": (F.mse_loss, dict(input=np.ones((6, 1)), target=Y1)),
    "cross_entropy": (F.cross_entropy, dict(input=SCORES, target=CLASSES)),
    "hinge_loss": (F.hinge_loss, dict(input=np.ones(6), target=np.ones(6))),
    "multi_margin_loss": (F.multi_margin_loss, dict(input=SCORES, target=CLASSES, margin=1.0)),
    "zero_one_loss": (F.zero_one_loss, dict(input=SCORES, target=CLASSES)),
    "l2_penalty": (penalty, dict(lam=0.1)),
    "he_uniform_": (init.he_uniform_, dict(tensor=np.zeros((3, 2)), negative_slope=0.0)),
    "normal_": (init.normal_, dict(tensor=np.zeros((3, 2)), mean=0.0, std=1.0)),
    "uniform_": (init.uniform_, dict(tensor=np.zeros((3, 2)), a=0.0, b=1.0)),
    "xavier_normal_": (init.xavier_normal_, dict(tensor=np.zeros((3, 2)), gain=1.0)),
    "batches": (data.batches, dict(X=X3, y=Y1, batch_size=2)),
    "train_test_split": (data.train_test_split, dict(X=X3, y=Y1, test_size=0.25)),
    "kfold": (data.kfold, dict(n=6, k=3)),
    "EarlyStopping": (data.EarlyStopping, dict(patience=2, min_delta=0.0, mode="min")),
    "make_moons": (datasets.make_moons, dict(n_samples=10, noise=0.1)),
    "make_blobs": (datasets.make_blobs, dict(n_samples=10, centers=2)),
    "accuracy": (metrics.accuracy, dict(y_true=CLASSES, y_pred=CLASSES)),
    "confusion_matrix": (metrics.confusion_matrix, dict(y_true=CLASSES, y_pred=CLASSES)),
    "roc_curve": (metrics.roc_curve, dict(y_true=np.array([0, 1, 0, 1]), y_score=np.array([0.1, 0.9, 0.2, 0.8]))),
    "top_k_accuracy": (metrics.top_k_accuracy, dict(y_true=CLASSES, y_score=SCORES, k=2)),
    "fit": (fit, dict(train_data=(X3, Y1), epochs=1, batch_size=2, val_data=None, metrics=())),
    "evaluate": (evaluate, dict(data=(X3, Y1), metrics=())),
    "predict": (predict, dict(X=X3, batch_size=None)),
    "manual_seed": (nn.manual_seed, dict(seed=0)),
}
CALLS = [(name, argument) for name, (_, arguments) in ENTRY_POINTS.items() for argument in arguments]


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_each_entry_point_works_on_its_valid_arguments(name):
    function, arguments = ENTRY_POINTS[name]
    function(**arguments)
    nn.manual_seed(0)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=st.sampled_from(CALLS), junk=JUNK)
def test_junk_arguments_raise_type_or_value_errors_naming_the_argument(call, junk):
    name, argument = call
    function, arguments = ENTRY_POINTS[name]
    try:
        function(**{**arguments, argument: junk})
    except (TypeError, ValueError) as error:
        assert argument in str(error), f"{name}({argument}={junk!r}): {type(error).__name__}: {error}"
    finally:
        nn.manual_seed(0)
    # no error: the junk happened to be a valid value (0 for a slope, "" for nothing else)


@pytest.mark.parametrize("make, argument", [
    (lambda: nn.Linear("3", 2), "in_features"),
    (lambda: nn.Sequential(nn.Linear(2, 2), "relu"), r"modules\[1\]"),
    (lambda: fit(train_data=(X3, Y1[:5])), "train_data"),
    (lambda: metrics.accuracy(CLASSES, CLASSES[:4]), "y_pred"),
    (lambda: metrics.top_k_accuracy(CLASSES, np.ones(6), k=1), "y_score"),
    (lambda: F.mse_loss(np.ones(3), np.array(["a", "b", "c"])), "target"),
    (lambda: nn.Softmax(axis=1.5), "axis"),
    (lambda: nn.MLP(2, 3), "nouts"),
])
def test_the_examples_named_in_the_report_name_their_argument(make, argument):
    with pytest.raises((TypeError, ValueError), match=argument):
        make()


def test_sequential_names_the_argument_the_position_and_the_type_of_a_bad_module():
    with pytest.raises(TypeError, match=r"^Sequential: modules\[1\] must be a Module, got int$"):
        nn.Sequential(nn.Linear(2, 2), 3)
    with pytest.raises(TypeError, match=r"^Sequential: modules\[0\] must be a Module, got str$"):
        nn.Sequential("relu")

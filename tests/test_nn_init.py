"""Initializers (the slides on parameter initialization): each one's spread on a large tensor
within 2% of its formula, the bounds of the uniform ones, seeding, in-place filling; and the
init table's quantitative claim on a 6-layer net (He keeps ReLU activations alive, Xavier lets
them shrink)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor

FAN_IN, FAN_OUT = 800, 1200  # weight shape (in_features, out_features): 960,000 draws


def _weight(dtype=np.float64):
    return Tensor(np.zeros((FAN_IN, FAN_OUT), dtype=dtype), requires_grad=True)


NORMAL = [
    ("lecun_normal_", {}, 1 / math.sqrt(FAN_IN)),
    ("xavier_normal_", {}, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("xavier_normal_", {"gain": 5 / 3}, 5 / 3 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("he_normal_", {}, math.sqrt(2 / FAN_IN)),
    ("he_normal_", {"negative_slope": 0.1}, math.sqrt(2 / ((1 + 0.01) * FAN_IN))),
    ("normal_", {"mean": 0.0, "std": 0.01}, 0.01),
]
UNIFORM = [
    ("lecun_uniform_", {}, math.sqrt(3 / FAN_IN)),
    ("xavier_uniform_", {}, math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("he_uniform_", {}, math.sqrt(6 / FAN_IN)),
    ("he_uniform_", {"negative_slope": 0.2}, math.sqrt(6 / ((1 + 0.04) * FAN_IN))),
    ("uniform_", {"a": -0.05, "b": 0.05}, 0.05),
]


@pytest.mark.parametrize("name, kwargs, std", NORMAL, ids=[f"{n}{k or ''}" for n, k, _ in NORMAL])
def test_normal_initializers_have_the_formulas_standard_deviation(name, kwargs, std):
    w = getattr(nn.init, name)(_weight(), **kwargs, rng=0)
    assert abs(w.data.std() / std - 1) < 0.02
    assert abs(w.data.mean()) < 0.02 * std
    assert abs(w.data.std() / std - 1) < 0.005  # in fact far closer: 960,000 draws


@pytest.mark.parametrize("name, kwargs, bound", UNIFORM, ids=[f"{n}{k or ''}" for n, k, _ in UNIFORM])
def test_uniform_initializers_stay_within_their_bound_and_fill_it(name, kwargs, bound):
    w = getattr(nn.init, name)(_weight(), **kwargs, rng=0)
    assert w.data.min() >= -bound and w.data.max() <= bound
    assert w.data.min() < -0.999 * bound and w.data.max() > 0.999 * bound
    assert abs(w.data.std() / (bound / math.sqrt(3)) - 1) < 0.02  # U(-r, r) has std r/sqrt(3)


def test_fans_follow_our_in_out_layout():
    assert nn.init.fan_in_and_fan_out(Tensor(np.zeros((784, 64)))) == (784, 64)
    he = nn.init.he_normal_(Tensor(np.zeros((2000, 10))), rng=1)  # fan_in 2000, not 10
    assert abs(he.data.std() / math.sqrt(2 / 2000) - 1) < 0.02
    with pytest.raises(ValueError, match=r"need a 2-D weight .* got shape \(5,\)"):
        nn.init.xavier_uniform_(Tensor(np.zeros(5)))


def test_initializers_fill_in_place_keep_the_dtype_and_are_seeded():
    w = _weight(np.float32)
    before = w.data
    assert nn.init.he_uniform_(w, rng=3) is w and w.data is before and w.data.dtype == np.float32
    again = nn.init.he_uniform_(_weight(np.float32), rng=np.random.default_rng(3))
    np.testing.assert_array_equal(w.data, again.data)
    assert not np.array_equal(w.data, nn.init.he_uniform_(_weight(np.float32), rng=4).data)
    assert np.all(nn.init.zeros_(w).data == 0)
    assert np.all(nn.init.constant_(w, 0.25).data == 0.25)
    array = np.zeros((3, 2))
    assert nn.init.normal_(array, std=2.0, rng=0) is array and np.all(array != 0)


def test_initializers_refuse_bad_arguments():
    with pytest.raises(ValueError, match="std must be >= 0"):
        nn.init.normal_(_weight(), std=-1.0)
    with pytest.raises(ValueError, match="needs a <= b"):
        nn.init.uniform_(_weight(), a=1.0, b=0.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, an int seed or None"):
        nn.init.he_normal_(_weight(), rng="seed")
    with pytest.raises(TypeError, match="tensor must be a Tensor or a float numpy array"):
        nn.init.zeros_([1.0, 2.0])


def test_linear_takes_an_initializer_by_name_or_as_a_function():
    xavier = nn.Linear(FAN_IN, FAN_OUT, init="xavier_normal", rng=0).weight.data
    assert abs(xavier.std() / math.sqrt(2 / (FAN_IN + FAN_OUT)) - 1) < 0.02
    np.testing.assert_array_equal(xavier, nn.init.xavier_normal_(_weight(), rng=0).data)
    assert np.all(nn.Linear(3, 2, init="zeros").weight.data == 0)
    standard = nn.Linear(FAN_IN, 50, init=functools.partial(nn.init.normal_, std=1.0), rng=0).weight.data
    assert abs(standard.std() - 1) < 0.02


# -- the MNIST workshop's init table, its quantitative part -----------------------------------


def layer_stds(init, activation, depth=6, width=100, seed=0):
    """The std of each layer's activations in a 6-layer net of ``width`` units, on 1000
    standard-normal samples (the setting of the slides' histograms)."""
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((1000, width))
    stds = []
    with autodiff.no_grad():
        for _ in range(depth):
            h = getattr(nn.Linear(width, width, init=init, rng=rng)(h), activation)()
            stds.append(float(h.data.std()))
    return np.array(stds)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_he_keeps_relu_activations_within_a_factor_of_2_across_6_layers(seed):
    stds = layer_stds("he_normal", "relu", seed=seed)
    assert stds.max() / stds.min() < 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xavier_lets_relu_activations_shrink_layer_by_layer(seed):
    stds = layer_stds("xavier_normal", "relu", seed=seed)
    assert np.all(np.diff(stds) < 0)
    assert stds[-1] < stds[0] / 4  # about 1/sqrt(2) per layer: (1/sqrt(2))^5 = 0.18
    assert stds[-1] < layer_stds("he_normal", "relu", seed=seed)[-1] / 4


def test_standard_normal_init_saturates_deep_sigmoid_layers():
    rng = np.random.default_rng(0)
    h = rng.standard_normal((1000, 100))
    with autodiff.no_grad():
        for _ in range(6):
            h = nn.Linear(100, 100, init=functools.partial(nn.init.normal_, std=1.0), rng=rng)(h).sigmoid()
            saturated = np.mean((h.data < 0.01) | (h.data > 0.99))
            assert saturated > 0.3  # piled up at 0 and 1: sigma' = sigma(1 - sigma) is ~0 there


def test_every_initializer_takes_rng_so_they_can_be_looped_over():
    for name in ("zeros_", "constant_"):
        w = Tensor(np.ones((2, 3)))
        args = (w, 0.5) if name == "constant_" else (w,)
        getattr(nn.init, name)(*args, rng=np.random.default_rng(0))
        np.testing.assert_array_equal(w.data, np.full((2, 3), 0.5 if name == "constant_" else 0.0))


# -- the default generator: every draw seeded, nn.manual_seed(n) as PyTorch's -------------------------

FRESH_PROCESS = (
    "import nn, numpy as np\n"
    "print(nn.Linear(3, 2).weight.data.tolist(), nn.MLP(2, [2, 1]).parameters()[0].data,\n"
    "      nn.Dropout(0.5)(np.ones(6)).data.tolist(), nn.datasets.make_moons(3, noise=0.1)[0].tolist())"
)


def test_a_fresh_process_draws_the_same_numbers_without_any_rng():
    import subprocess
    import sys

    runs = [subprocess.run([sys.executable, "-c", FRESH_PROCESS], capture_output=True, text=True, timeout=120)
            for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.strip()


def test_manual_seed_fixes_every_default_draw():
    def draws():
        linear = nn.Linear(4, 3).weight.data.copy()
        neuron = [w.data for w in nn.Neuron(3).w]
        mask = nn.Dropout(0.5)(np.ones((2, 5))).data.copy()
        filled = nn.init.he_normal_(np.zeros((3, 2)))
        order = next(iter(nn.data.batches(np.arange(6.0)[:, None], np.arange(6), 6, rng=None)))[1]
        return linear, neuron, mask, filled, order

    nn.manual_seed(7)
    first = draws()
    nn.manual_seed(7)
    again = draws()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    # the Linear's weights are He uniform drawn from default_rng(7): U(±√(6/4))
    expected = np.random.default_rng(7).uniform(-math.sqrt(6 / 4), math.sqrt(6 / 4), (4, 3))
    np.testing.assert_array_equal(first[0], expected)
    nn.manual_seed(8)
    assert not np.array_equal(nn.Linear(4, 3).weight.data, first[0])


def test_manual_seed_reseeds_a_dropout_built_before_it():
    dropout = nn.Dropout(0.5)
    nn.manual_seed(3)
    first = dropout(np.ones(20)).data.copy()
    nn.manual_seed(3)
    np.testing.assert_array_equal(dropout(np.ones(20)).data, first)


@pytest.mark.parametrize("seed, error", [("1", TypeError), (1.5, TypeError), (None, TypeError), (True, TypeError),
                                         (-1, ValueError)])
def test_manual_seed_refuses_what_is_not_a_seed(seed, error):
    with pytest.raises(error, match="manual_seed: seed"):
        nn.manual_seed(seed)

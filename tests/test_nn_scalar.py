"""The scalar MLP: micrograd parity (337 parameters), seeding, module traversal, scopes."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Value


def test_mlp_2_16_16_1_has_337_parameters_and_returns_a_value():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    assert len(nn.MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0])) == 2


def test_neuron_computes_its_formula():
    n = nn.Neuron(3, activation="tanh", seed=1)
    x = [0.5, -1.0, 2.0]
    expected = np.tanh(sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data)
    assert n(x).data == pytest.approx(expected, rel=1e-14)
    assert nn.Neuron(2, activation="linear", seed=1)([1.0, 1.0]).op == "+"


def test_seeded_initialization_is_reproducible():
    a = [p.data for p in nn.MLP(2, [4, 1], seed=7).parameters()]
    b = [p.data for p in nn.MLP(2, [4, 1], rng=np.random.default_rng(7)).parameters()]
    c = [p.data for p in nn.MLP(2, [4, 1], seed=8).parameters()]
    assert a == b and a != c
    assert all(-1.0 <= w <= 1.0 for w in a)


def test_last_layer_is_linear_and_hidden_use_the_activation():
    model = nn.MLP(2, [3, 3, 1], activation="tanh", seed=0)
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "linear"]


def test_named_parameters_and_zero_grad():
    model = nn.MLP(2, [2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert len(names) == len(set(names)) == 9
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_training_mode_switches_recursively():
    model = nn.MLP(2, [2, 1], seed=0)
    model.eval()
    assert not model.training and not model.layers[1].neurons[0].training
    model.train()
    assert model.layers[0].training


def test_module_calls_tag_nodes_with_scopes():
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    assert out.scope.qualname == "MLP.Layer.Neuron"
    assert isinstance(out.scope.owner, nn.Neuron)
    assert Value(1.0).scope is None
    with autodiff.scope("mine") as s:
        v = Value(1.0) * 2
    assert v.scope is s and s.qualname == "mine"


def test_one_sgd_step_lowers_a_squared_loss():
    # SPEC §1 homework: a small ReLU net, loss 1/2 (y - yhat)^2, one update with lr 1, x = (0.2, 0.3)
    model = nn.MLP(2, [3, 1], seed=3)
    x, y = [0.2, 0.3], 1.0

    def loss():
        return 0.5 * (y - model(x)) ** 2

    before = loss()
    model.zero_grad()
    before.backward()
    for p in model.parameters():
        p.data -= 1.0 * p.grad
    assert loss().data < before.data


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: nn.Neuron(0), "nin >= 1"),
        (lambda: nn.Layer(2, 0), "nout >= 1"),
        (lambda: nn.MLP(2, []), "non-empty list"),
        (lambda: nn.MLP(2, [3], activation="swish"), "unknown activation 'swish'"),
        (lambda: nn.MLP(2, [3], seed=1, rng=np.random.default_rng(1)), "not both"),
    ],
)
def test_bad_arguments_are_named(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def test_wrong_input_length_is_an_error():
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        nn.Neuron(2, seed=0)([1.0, 2.0, 3.0])

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
    d = [p.data for p in nn.MLP(2, [4, 1], rng=7).parameters()]  # an int rng is a seed, as everywhere in nn
    assert a == b == d and a != c
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
    # the slides' homework: a small ReLU net, loss 1/2 (y - yhat)^2, one update with lr 1, x = (0.2, 0.3)
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
        (lambda: nn.MLP(2, [3], rng="x"), "MLP: rng must be a numpy.random.Generator, an int seed or None, got str"),
        (lambda: nn.Neuron(2, rng=-1), "Neuron: rng, an int seed, must be >= 0"),
    ],
)
def test_bad_arguments_are_named(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def test_wrong_input_length_is_an_error():
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        nn.Neuron(2, seed=0)([1.0, 2.0, 3.0])


# -- fused neurons: w . x + b as one node ------------------------------------------------


def _hinge_step(model, X, y):
    """One of micrograd's demo steps: the SVM max-margin loss of the scores, + L2, backward."""
    scores = [model(list(map(Value, row))) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    return total


def test_fused_mlp_gives_the_unfused_losses_and_gradients():
    rng = np.random.default_rng(3)
    X, y = rng.uniform(-1, 1, (12, 2)).tolist(), rng.choice([-1.0, 1.0], 12).tolist()
    plain, fused = nn.MLP(2, [8, 8, 1], seed=0), nn.MLP(2, [8, 8, 1], seed=0, fused=True)
    for _ in range(3):  # three SGD steps: equal losses after them mean equal gradients
        a, b = _hinge_step(plain, X, y), _hinge_step(fused, X, y)
        assert b.data == pytest.approx(a.data, rel=1e-13)
        for p, q in zip(plain.parameters(), fused.parameters()):
            assert q.grad == pytest.approx(p.grad, rel=1e-12, abs=1e-15)
            p.data -= 0.05 * p.grad
            q.data -= 0.05 * q.grad
    # an op node per neuron (and its activation) instead of one per product and sum:
    # 8 (2 * + 2 + relu) + 8 (8 * + 8 + relu) + (8 * + 8 +) against 8 (affine relu) + 8 (affine relu) + affine
    ops = [n.op for n in autodiff.topological_order(plain([0.3, -0.2])) if n.op]
    assert len(ops) == 8 * 5 + 8 * 17 + 16
    ops = [n.op for n in autodiff.topological_order(fused([0.3, -0.2])) if n.op]
    assert sorted(set(ops)) == ["affine", "relu"] and len(ops) == 8 * 2 + 8 * 2 + 1


def test_a_fused_neuron_is_one_node_whose_edges_carry_inputs_and_weights():
    neuron = nn.Neuron(3, activation="tanh", seed=1, fused=True)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1"), Value(2.0, label="x2")]
    out = neuron(x)
    pre = out.parents[0]
    assert out.op == "tanh" and pre.op == "affine"
    assert pre.parents == (neuron.b, *neuron.w, *x)
    expected = sum(w.data * xi.data for w, xi in zip(neuron.w, x)) + neuron.b.data
    assert pre.data == pytest.approx(expected, rel=1e-15)
    # d/db = 1, d/dw_i = x_i, d/dx_i = w_i
    assert pre.local_derivatives() == (1.0, 0.5, -1.0, 2.0, *[w.data for w in neuron.w])
    out.backward()
    g = 1 - out.data**2
    assert [w.grad for w in neuron.w] == pytest.approx([g * xi.data for xi in x], rel=1e-14)
    assert [xi.grad for xi in x] == pytest.approx([g * w.data for w in neuron.w], rel=1e-14)
    assert "fused=True" in repr(neuron) and "fused=True" in repr(nn.Layer(2, 2, fused=True))


def test_a_fused_neuron_has_second_derivatives():
    # f = w.x + b with x = (t, t^2):  df/dt = w0 + 2 w1 t,  d2f/dt2 = 2 w1
    neuron = nn.Neuron(2, activation="linear", seed=2, fused=True)
    t = Value(0.7)
    (dt,) = autodiff.grad(neuron([t, t * t]), [t], create_graph=True)
    w0, w1 = neuron.w[0].data, neuron.w[1].data
    assert dt.data == pytest.approx(w0 + 2 * w1 * 0.7, rel=1e-14)
    (d2t,) = autodiff.grad(dt, [t])
    assert d2t.data == pytest.approx(2 * w1, rel=1e-14)


def test_a_fused_neuron_checks_its_input_length():
    with pytest.raises(ValueError, match="Neuron expects 3 inputs, got 2"):
        nn.Neuron(3, seed=0, fused=True)([1.0, 2.0])
    with pytest.raises(ValueError, match="2 weights, 3 inputs"):
        autodiff.scalar.affine([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0], Value(0.0))

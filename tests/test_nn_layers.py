"""Tensor layers: Linear, Sequential, the activation modules, Dropout, DropConnect, BatchNorm1d.

Forward values and gradients against PyTorch in float64 (``torch`` fixture: skipped without
it); Dropout and DropConnect by their statistics and by the mask the backward pass uses.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is these tests' oracle: pip install torch==2.13.0")


def _t(torch, array, grad=False):
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=grad)


# -- Linear ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_and_backward_equal_torch_with_the_weight_transposed(torch, bias):
    rng = np.random.default_rng(0)
    layer = nn.Linear(5, 3, bias=bias, rng=1)
    if bias:
        layer.bias.data[...] = rng.standard_normal(3)
    X, G = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    x = Tensor(X, requires_grad=True)
    out = layer(x)
    (out * G).sum().backward()

    reference = torch.nn.Linear(5, 3, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(layer.weight.data.T))  # PyTorch stores (out, in)
        if bias:
            reference.bias.copy_(torch.tensor(layer.bias.data))
    xt = _t(torch, X, grad=True)
    out_t = reference(xt)
    (out_t * _t(torch, G)).sum().backward()

    assert out.shape == (4, 3)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(layer.weight.grad, reference.weight.grad.numpy().T, rtol=1e-13, atol=1e-14)
    if bias:
        np.testing.assert_allclose(layer.bias.grad, reference.bias.grad.numpy(), rtol=1e-13, atol=1e-14)
    else:
        assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]


def test_linear_is_the_slides_z_equals_x_w_plus_b_on_arrays():
    layer = nn.Linear(3, 2, rng=0)
    layer.bias.data[...] = [0.5, -1.0]
    X = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(layer(X).data, X @ layer.weight.data + layer.bias.data, rtol=1e-15)
    assert layer.weight.shape == (3, 2) and layer.weight.label == "weight" and layer.bias.label == "bias"


def test_linear_default_init_is_he_uniform_with_zero_bias_and_seeded():
    layer = nn.Linear(400, 300, rng=0)
    bound = np.sqrt(6 / 400)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.99 * bound
    assert np.all(layer.bias.data == 0)
    np.testing.assert_array_equal(layer.weight.data, nn.Linear(400, 300, rng=0).weight.data)
    np.testing.assert_array_equal(
        layer.weight.data, nn.Linear(400, 300, rng=np.random.default_rng(0)).weight.data
    )
    assert not np.array_equal(layer.weight.data, nn.Linear(400, 300, rng=1).weight.data)


def test_linear_keeps_float32():
    layer = nn.Linear(3, 2, rng=0, dtype=np.float32)
    out = layer(np.ones((4, 3), dtype=np.float32))
    out.sum().backward()
    assert out.dtype == np.float32 and layer.weight.grad.dtype == np.float32


def test_linear_refuses_bad_sizes_and_unknown_init():
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="unknown init 'kaiming'.*'he_uniform'"):
        nn.Linear(3, 2, init="kaiming")
    with pytest.raises(ValueError, match=r"Linear\(3, 2\): the input X must have shape \(N, 3\).*got shape \(2, 4\)"):
        nn.Linear(3, 2, rng=0)(np.ones((2, 4)))


# -- Sequential and Module ------------------------------------------------------------------


def test_sequential_applies_in_order_and_indexes_like_a_list():
    first, act, last = nn.Linear(2, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1)
    model = nn.Sequential(first, act, last)
    X = np.array([[0.5, -1.0], [2.0, 0.25]])
    np.testing.assert_allclose(model(X).data, last(act(first(X))).data, rtol=1e-15)
    assert len(model) == 3 and model[0] is first and model[-1] is last and list(model) == [first, act, last]
    assert isinstance(model[1:], nn.Sequential) and list(model[1:]) == [act, last]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(TypeError, match=r"modules\[1\] must be a Module, got ufunc"):
        nn.Sequential(first, np.tanh)


def test_sequential_given_a_layer_class_instead_of_a_layer_says_to_call_it():
    # a common slip: nn.ReLU for nn.ReLU(); the message named only "type"
    with pytest.raises(TypeError, match=r"modules\[1\] is the class ReLU, not a module made from it: write ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU)


def test_repr_is_pytorch_like():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.LeakyReLU(0.1), nn.Dropout(0.25), nn.BatchNorm1d(3))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.1)\n"
        "  (2): Dropout(p=0.25, mode='inverted')\n"
        "  (3): BatchNorm1d(3, eps=1e-05, momentum=0.1)\n"
        ")"
    )

    class Net(nn.Module):
        def __init__(self):
            self.blocks = [nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU())]
            self.head = nn.Linear(2, 1, bias=False, rng=1)

    assert repr(Net()) == (
        "Net(\n"
        "  (blocks.0): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=2, bias=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        "  (head): Linear(in_features=2, out_features=1, bias=False)\n"
        ")"
    )


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(2)))
    model.eval()
    assert [m.training for _, m in model.named_modules()] == [False] * 5
    model.train()
    assert all(m.training for _, m in model.named_modules())


def test_layer_calls_open_scopes_for_the_pictures():
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU())
    out = model(np.ones((1, 2)))
    assert out.scope.qualname == "Sequential.ReLU" and isinstance(out.scope.owner, nn.ReLU)
    assert out.parents[0].parents[0].scope.qualname == "Sequential.Linear"


# -- activations ----------------------------------------------------------------------------

ACTIVATIONS = [
    ("ReLU", lambda: nn.ReLU(), lambda t: t.nn.ReLU()),
    ("LeakyReLU", lambda: nn.LeakyReLU(), lambda t: t.nn.LeakyReLU()),
    ("LeakyReLU(0.1)", lambda: nn.LeakyReLU(0.1), lambda t: t.nn.LeakyReLU(0.1)),
    ("ELU", lambda: nn.ELU(), lambda t: t.nn.ELU()),
    ("ELU(0.5)", lambda: nn.ELU(alpha=0.5), lambda t: t.nn.ELU(alpha=0.5)),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid()),
    ("Tanh", lambda: nn.Tanh(), lambda t: t.nn.Tanh()),
    ("GELU", lambda: nn.GELU(), lambda t: t.nn.GELU()),
    ("GELU(tanh)", lambda: nn.GELU("tanh"), lambda t: t.nn.GELU(approximate="tanh")),
    ("SiLU", lambda: nn.SiLU(), lambda t: t.nn.SiLU()),
    ("Softmax", lambda: nn.Softmax(), lambda t: t.nn.Softmax(dim=-1)),
    ("Softmax(axis=0)", lambda: nn.Softmax(axis=0), lambda t: t.nn.Softmax(dim=0)),
]


@pytest.mark.parametrize("ours, theirs", [a[1:] for a in ACTIVATIONS], ids=[a[0] for a in ACTIVATIONS])
def test_activation_forward_and_backward_equal_torch(torch, ours, theirs):
    rng = np.random.default_rng(3)
    X = rng.normal(0, 3, (6, 5))  # no exact zeros: the kinks of ReLU and friends are not sampled
    G = rng.standard_normal((6, 5))
    x = Tensor(X, requires_grad=True)
    out = ours()(x)
    (out * G).sum().backward()
    xt = _t(torch, X, grad=True)
    out_t = theirs(torch)(xt)
    (out_t * _t(torch, G)).sum().backward()
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_activations_accept_arrays_and_refuse_bad_settings():
    np.testing.assert_array_equal(nn.ReLU()(np.array([-1.0, 2.0])).data, [0.0, 2.0])
    with pytest.raises(ValueError, match="approximate must be one of 'none', 'tanh'"):
        nn.GELU("erf")


# -- Dropout --------------------------------------------------------------------------------


def test_inverted_dropout_drops_a_fraction_p_and_scales_the_rest_by_1_over_1_minus_p(torch):
    p = 0.3
    out = nn.Dropout(p, rng=0)(np.ones((400, 500))).data
    dropped = np.mean(out == 0)
    assert abs(dropped - p) < 0.005  # 200,000 draws: the standard error is 0.001
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-15)
    assert abs(out.mean() - 1.0) < 0.01  # E[output] = input
    # PyTorch's training-mode dropout scales the survivors by the same factor
    theirs = torch.nn.functional.dropout(torch.ones(1000, dtype=torch.float64), p, training=True).numpy()
    np.testing.assert_allclose(np.unique(theirs[theirs != 0]), [1 / (1 - p)], rtol=1e-15)


def test_dropout_backward_uses_the_forward_mask():
    rng = np.random.default_rng(1)
    X, G = rng.standard_normal((50, 40)), rng.standard_normal((50, 40))
    layer = nn.Dropout(0.5, rng=2)
    x = Tensor(X, requires_grad=True)
    out = layer(x)
    out.backward(G)
    mask = layer.mask
    assert set(np.unique(mask)) == {0.0, 2.0}
    np.testing.assert_array_equal(out.data, X * mask)
    np.testing.assert_array_equal(x.grad, G * mask)
    assert np.array_equal(out.data == 0, x.grad == 0)  # zero forward exactly where zero backward


def test_dropout_draws_a_fresh_mask_each_training_pass_and_none_in_eval():
    layer = nn.Dropout(0.5, rng=0)
    X = np.ones((20, 20))
    first, second = layer(X).data, layer(X).data
    assert not np.array_equal(first, second)
    layer.eval()
    x = Tensor(X)
    assert layer(x) is x and layer.mask is None
    again = nn.Dropout(0.5, rng=0)
    np.testing.assert_array_equal(again(X).data, first)  # seeded: reproducible


def test_scale_at_test_dropout_is_the_slides_rule_with_the_same_expected_activation():
    p, X = 0.4, np.random.default_rng(0).uniform(0.5, 2.0, (1, 30))
    layer = nn.Dropout(p, mode="scale_at_test", rng=1)
    out = layer(X).data
    np.testing.assert_array_equal(out[out != 0], X[out != 0])  # kept units unscaled in training
    average = np.mean([layer(X).data for _ in range(20000)], axis=0)
    layer.eval()
    test_time = layer(X).data
    np.testing.assert_allclose(test_time, X * (1 - p), rtol=1e-15)  # weight scaling inference rule
    np.testing.assert_allclose(average, test_time, rtol=0.03)
    inverted = nn.Dropout(p, rng=1)
    average_inverted = np.mean([inverted(X).data for _ in range(20000)], axis=0)
    np.testing.assert_allclose(average_inverted, X, rtol=0.03)  # inverted: E[train] = test = X


def test_dropout_extremes_and_bad_settings():
    X = np.ones((3, 4))
    np.testing.assert_array_equal(nn.Dropout(0.0, rng=0)(X).data, X)
    np.testing.assert_array_equal(nn.Dropout(1.0, rng=0)(X).data, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"p \(the drop probability\) must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="mode must be one of"):
        nn.Dropout(0.5, mode="slide")


# -- DropConnect ----------------------------------------------------------------------------


def test_dropconnect_masks_weights_in_training_and_backward_uses_that_mask():
    rng = np.random.default_rng(0)
    layer = nn.DropConnect(30, 20, p=0.25, rng=1)
    layer.bias.data[...] = rng.standard_normal(20)
    X, G = rng.standard_normal((8, 30)), rng.standard_normal((8, 20))
    x = Tensor(X, requires_grad=True)
    out = layer(x)
    out.backward(G)
    mask, W = layer.mask, layer.weight.data
    assert mask.shape == (30, 20) and set(np.unique(mask)) == {0.0, 1 / 0.75}
    assert abs(np.mean(mask == 0) - 0.25) < 0.06
    np.testing.assert_allclose(out.data, X @ (W * mask) + layer.bias.data, rtol=1e-13)
    np.testing.assert_allclose(layer.weight.grad, (X.T @ G) * mask, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(x.grad, G @ (W * mask).T, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(layer.bias.grad, G.sum(axis=0), rtol=1e-13)


def test_dropconnect_eval_is_the_plain_linear_layer_and_its_expectation():
    X = np.random.default_rng(0).standard_normal((2, 10))
    for mode, scale in (("inverted", 1.0), ("scale_at_test", 0.5)):
        layer = nn.DropConnect(10, 3, p=0.5, mode=mode, rng=4)
        average = np.mean([layer(X).data for _ in range(20000)], axis=0)
        layer.eval()
        test_time = layer(X).data
        np.testing.assert_allclose(test_time, X @ (layer.weight.data * scale), rtol=1e-13)
        np.testing.assert_allclose(average, test_time, atol=0.05 * np.abs(test_time).max())
        assert layer.mask is None
    assert "p=0.5, mode='scale_at_test'" in repr(layer)


# -- BatchNorm1d ----------------------------------------------------------------------------


def test_batchnorm_training_and_eval_equal_torch_with_running_statistics(torch):
    rng = np.random.default_rng(0)
    ours = nn.BatchNorm1d(4, momentum=0.2)
    theirs = torch.nn.BatchNorm1d(4, momentum=0.2, dtype=torch.float64)
    gamma, beta = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    ours.weight.data[...], ours.bias.data[...] = gamma, beta
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(gamma))
        theirs.bias.copy_(torch.tensor(beta))

    def step(X, G):
        ours.zero_grad()
        theirs.zero_grad()
        x, xt = Tensor(X, requires_grad=True), _t(torch, X, grad=True)
        out, out_t = ours(x), theirs(xt)
        (out * G).sum().backward()
        (out_t * _t(torch, G)).sum().backward()
        np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-13)

    for batch in (8, 5, 16):  # several training steps: the running statistics accumulate
        step(rng.normal(3.0, 2.0, (batch, 4)), rng.standard_normal((batch, 4)))
    assert not np.allclose(ours.running_var, 1.0)
    ours.eval()
    theirs.eval()
    step(rng.normal(3.0, 2.0, (6, 4)), rng.standard_normal((6, 4)))  # eval: running stats used, not updated
    one_row = rng.normal(size=(1, 4))
    np.testing.assert_allclose(ours(one_row).data, theirs(_t(torch, one_row)).detach().numpy(), rtol=1e-12)


def test_batchnorm_normalizes_with_the_biased_variance_and_updates_with_the_unbiased():
    X = np.array([[1.0], [2.0], [6.0]])
    layer = nn.BatchNorm1d(1, eps=1e-12, momentum=1.0)
    out = layer(X).data
    mu, biased, unbiased = 3.0, 14 / 3, 7.0
    np.testing.assert_allclose(out, (X - mu) / np.sqrt(biased), rtol=1e-10)
    np.testing.assert_allclose(layer.running_mean, [mu], rtol=1e-15)
    np.testing.assert_allclose(layer.running_var, [unbiased], rtol=1e-15)


def test_batchnorm_statistics_are_buffers_not_parameters_and_inputs_are_checked():
    layer = nn.BatchNorm1d(3)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in layer.named_buffers()] == ["running_mean", "running_var"]
    with pytest.raises(ValueError, match="at least 2 rows, got 1$"):
        layer(np.ones((1, 3)))
    with pytest.raises(ValueError, match="at least 2 rows, got 0$"):  # an empty batch is named as such
        layer(np.ones((0, 3)))
    with pytest.raises(ValueError, match=r"needs input of shape \(N, 3\), got \(4, 2\)"):
        layer(np.ones((4, 2)))
    layer.eval()
    assert layer(np.ones((1, 3))).shape == (1, 3)


def test_batchnorm_sits_between_z_and_the_activation_and_trains():
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, (64, 3))
    y = (X[:, :1] - 5.0 > 0).astype(float)
    model = nn.Sequential(nn.Linear(3, 8, rng=1), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1, rng=2))
    losses = []
    for _ in range(60):
        model.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(X), y)
        loss.backward()
        with autodiff.no_grad():
            for p in model.parameters():
                p.data -= 0.1 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_modules_in_dicts_and_nested_lists_are_found_with_pytorchs_names_and_train(torch):
    # a dict of layers (or a list of lists) was skipped: its parameters were never
    # returned by parameters(), so no optimizer updated them and state_dict() lacked them
    class Heads(nn.Module):
        def __init__(self):
            self.trunk = nn.Linear(3, 4, rng=0)
            self.heads = {"left": nn.Linear(4, 2, rng=1), "right": nn.Linear(4, 2, rng=2)}
            self.blocks = [[nn.Linear(2, 2, rng=3)], (nn.Tanh(),)]

        def forward(self, x):
            h = self.trunk(x).tanh()
            out = self.heads["left"](h) * self.heads["right"](h)
            return self.blocks[1][0](self.blocks[0][0](out))

    class TorchHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = torch.nn.Linear(3, 4, dtype=torch.float64)
            self.heads = torch.nn.ModuleDict({name: torch.nn.Linear(4, 2, dtype=torch.float64)
                                              for name in ("left", "right")})
            self.blocks = torch.nn.ModuleList([torch.nn.ModuleList([torch.nn.Linear(2, 2, dtype=torch.float64)]),
                                               torch.nn.ModuleList([torch.nn.Tanh()])])

        def forward(self, x):
            h = torch.tanh(self.trunk(x))
            out = self.heads["left"](h) * self.heads["right"](h)
            return self.blocks[1][0](self.blocks[0][0](out))

    ours, theirs = Heads(), TorchHeads()
    names = [name for name, _ in ours.named_parameters()]
    assert names == [name for name, _ in theirs.named_parameters()]
    assert names[2:4] == ["heads.left.weight", "heads.left.bias"] and "blocks.0.0.weight" in names
    assert list(ours.state_dict()) == list(theirs.state_dict())
    containers = (torch.nn.ModuleList, torch.nn.ModuleDict)  # ours has plain lists and dicts there
    assert [name for name, _ in ours.named_modules()] == [
        name for name, module in theirs.named_modules() if not isinstance(module, containers)
    ]
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            q.copy_(torch.tensor(p.data.T if p.data.ndim == 2 else p.data))
    X = np.random.default_rng(4).normal(size=(5, 3))
    ours(X).sum().backward()
    theirs(_t(torch, X)).sum().backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy().T if p.data.ndim == 2 else q.grad.numpy(),
                                   rtol=1e-12, atol=1e-14, err_msg=name)


def test_a_container_holding_itself_is_searched_once():
    class Loop(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2, rng=0)
            self.items = [self.layer]
            self.items.append(self.items)

        def forward(self, x):
            return self.layer(x)

    assert [name for name, _ in Loop().named_parameters()] == ["layer.weight", "layer.bias"]


@pytest.mark.parametrize("mode", ["no", 0, 1, None])
def test_train_refuses_a_mode_that_is_not_true_or_false_as_pytorch_does(torch, mode):
    with pytest.raises(ValueError, match="expected to be boolean"):
        torch.nn.Linear(2, 2).train(mode)
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(0.5))
    model.eval()
    with pytest.raises(ValueError, match=r"Sequential.train: mode must be True or False, got"):
        model.train(mode)
    assert not any(module.training for _, module in model.named_modules())  # nothing changed
    assert model.train(np.bool_(True)).training and model[1].training

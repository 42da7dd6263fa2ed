"""Changing ``.data`` between the forward pass and ``backward()`` is caught, naming the node.

The backward pass reads the data again (d(w·x)/dw is x), so a change in between would give
the gradient of a mix of old and new values. PyTorch refuses such a backward pass
("modified by an inplace operation"); so do both engines, on the fast and the reference path.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
import nn
import optim
from autodiff import Tensor, Value, fast

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed (make test installs it)")


@pytest.fixture(params=["fast", "reference"])
def path(request):
    if request.param == "reference":
        with fast.reference():
            yield request.param
    else:
        yield request.param


def test_pytorch_refuses_the_same_thing():
    w = torch.tensor(2.0, requires_grad=True)
    h = w * 1.0
    y = h * h
    with torch.no_grad():
        h.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_a_leaf_changed_after_use_is_named(path):
    x, w = Value(3.0, "x"), Value(2.0, "w")
    y = (x * w).tanh()
    w.data = 5.0
    with pytest.raises(RuntimeError, match=r"data of Value 'w' was changed after the Value made by '\*'"):
        y.backward()


def test_an_op_result_changed_after_it_was_computed_is_named(path):
    x = Value(3.0, "x")
    h = x * 2.0
    h.label = "h"
    y = h.exp()
    h.data = 7.0
    with pytest.raises(RuntimeError, match="data of Value 'h' was changed after"):
        y.backward()
    z = (x * 2.0).tanh()  # the output itself: tanh's rule reads it
    z.data = 0.5
    with pytest.raises(RuntimeError, match=r"the Value made by 'tanh' was changed after it was computed"):
        z.backward()


def test_changes_before_the_forward_pass_and_after_backward_are_fine(path):
    x, w = Value(3.0, "x"), Value(2.0, "w")
    w.data = 4.0  # before: the graph is made from 4
    y = x * w
    y.backward()
    assert (x.grad, w.grad) == (4.0, 3.0)
    w.data -= 0.1 * w.grad  # an optimizer step, after backward
    x.grad = w.grad = 0.0
    y = x * w
    y.backward()
    assert x.grad == pytest.approx(3.7, abs=1e-15) and w.grad == 3.0


def test_a_change_made_before_the_nodes_that_read_it_is_fine(path):
    # the edit clock moves in the middle of the forward pass (so the backward pass looks at
    # every node), but each node was computed after the data it reads was changed
    x, w = Value(3.0, "x"), Value(2.0, "w")
    first = x * x
    w.data = 5.0
    second = first * w  # made from the new w
    u = Value(1.5, "u")
    u.data = -1.0  # a leaf changed before its first use, after other nodes were made
    y = second + u * first
    y.backward()
    assert (x.grad, w.grad, u.grad) == (2 * 3.0 * 5.0 + -1.0 * 2 * 3.0, 9.0, 9.0)
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    s = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    h = t * t
    s.data = np.array([5.0, 6.0])
    (h * s).sum().backward()
    np.testing.assert_array_equal(t.grad, [10.0, 24.0])
    np.testing.assert_array_equal(s.grad, [1.0, 4.0])


def test_a_fused_neuron_sees_a_changed_weight(path):
    neuron = nn.Neuron(3, seed=0, fused=True)
    out = neuron([Value(1.0), Value(2.0), Value(3.0)])
    neuron.w[1].data = 0.0
    with pytest.raises(RuntimeError, match="was changed after the Value made by 'affine'"):
        out.backward()


def test_a_tensor_assignment_between_forward_and_backward_is_caught(path):
    W = Tensor(np.ones((2, 3)), requires_grad=True, label="W")
    x = Tensor(np.arange(6.0).reshape(3, 2))
    loss = (W @ x).relu().sum()
    W.data -= 0.5  # an augmented assignment goes through the setter too
    with pytest.raises(RuntimeError, match=r"data of Tensor 'W' was changed after the Tensor made by '@'"):
        loss.backward()


def test_a_training_step_in_the_wrong_order_is_caught():
    # the step before backward: the classic mistake
    model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = Tensor(np.ones((5, 2))), Tensor(np.zeros((5, 1)))
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()  # right: after backward
    loss = ((model(x) - y) ** 2).mean()
    for p in model.parameters():
        p.data = p.data - 0.1  # wrong: before backward
    with pytest.raises(RuntimeError, match="was changed after"):
        loss.backward()


def test_grad_and_backward_steps_check_too():
    x, w = Value(3.0, "x"), Value(2.0, "w")
    y = x * w
    w.data = 1.0
    with pytest.raises(RuntimeError, match="Value 'w' was changed"):
        autodiff.grad(y, [x])
    with pytest.raises(RuntimeError, match="Value 'w' was changed"):
        list(autodiff.backward_steps(y))


def test_the_gradient_after_a_fresh_forward_pass_matches_pytorch(path):
    x, w = Value(0.3, "x"), Value(-1.2, "w")
    y = (x * w).tanh()
    w.data = 0.7
    y = (x * w).tanh()  # computed again: fine
    y.backward()
    tx, tw = torch.tensor(0.3, dtype=torch.float64, requires_grad=True), torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    torch.tanh(tx * tw).backward()
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-14) and w.grad == pytest.approx(tw.grad.item(), rel=1e-14)


def test_a_value_data_assignment_is_still_checked_for_type():
    x = Value(1.0)
    with pytest.raises(TypeError, match="Value.data"):
        x.data = "2"
    x.data = 2  # an int becomes a float
    assert x.data == 2.0 and x.data.__class__ is float

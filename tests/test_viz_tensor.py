"""Tensor graphs in pictures, written against the public graph protocol (autodiff.Node) and
tested with a stand-in node class of its own: shape and dtype, small arrays in full, larger ones
summarized, and the gradient's shape on every edge."""

from __future__ import annotations

import numpy as np
import pytest

import viz
from autodiff import backward_steps
from viz import formatting as fmt


class StandIn:
    """The graph protocol of a numpy tensor node (data, grad, parents, op, label, scope,
    shape, dtype, requires_grad) plus what autodiff.engine calls to backprop it."""

    def __init__(self, data, parents=(), op="", label="", vjp=None, requires_grad=True):
        self.data = np.asarray(data, dtype=float)
        self.grad = None
        self.parents = tuple(parents)
        self.op = op
        self.label = label
        self.scope = None
        self.requires_grad = requires_grad
        self._rule = vjp

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)

    # the public graph protocol, autodiff.Node: what the engine asks of a node

    def vjp(self, upstream, create_graph=False):
        return tuple(g if p.requires_grad else None for g, p in zip(self._rule(upstream), self.parents))

    def local_derivatives(self):
        return (None,) * len(self.parents)

    def initial_grad(self, grad=None):
        if grad is not None:
            return np.asarray(grad, dtype=float)
        if self.data.size != 1:
            raise RuntimeError("grad can be implicitly created only for one element")
        return np.ones_like(self.data)


def test_the_stand_in_follows_the_public_node_protocol():
    import autodiff

    loss, *_ = linear_loss()
    assert isinstance(loss, autodiff.Node) and not isinstance(object(), autodiff.Node)


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    return grad.reshape(shape)


def add(a, b, label=""):
    return StandIn(a.data + b.data, (a, b), "+", label,
                   lambda g: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)))


def matmul(a, b, label=""):
    return StandIn(a.data @ b.data, (a, b), "@", label, lambda g: (g @ b.data.T, a.data.T @ g))


def total(a, label=""):
    return StandIn(a.data.sum(), (a,), "sum", label, lambda g: (np.broadcast_to(g, a.shape).copy(),))


def linear_loss():
    """loss = sum(X @ W + b): X (4, 3) data, W (3, 2), b (2,)."""
    X = StandIn(np.arange(12.0).reshape(4, 3) / 10, label="X", requires_grad=False)
    W = StandIn([[1.0, -1.0], [0.5, 0.0], [2.0, 1.0]], label="W")
    b = StandIn([0.1, -0.2], label="b")
    Z = add(matmul(X, W, "XW"), b, "Z")
    return total(Z, "loss"), X, W, b, Z


def test_formatting_small_arrays_in_full_larger_ones_summarized():
    assert fmt.value_lines(np.array([1.0, -2.5, 3.0])) == ["[1 -2.5 3]"]
    assert fmt.value_lines(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])) == ["[1 2 3]", "[4 5 6]"]
    big = np.arange(12.0).reshape(3, 4)
    assert fmt.value_lines(big) == [f"mean 5.5  min 0  max 11  norm {np.linalg.norm(big):.4g}"]
    assert fmt.value_lines(np.array(2.5)) == ["2.5"]  # a 0-d array is a number
    assert fmt.tensor_header(StandIn(np.zeros((2, 3)))) == "(2, 3) float64"
    assert fmt.tensor_header(StandIn(np.zeros(3))) == "(3,) float64"
    assert fmt.array_summary(np.zeros(0)) == "empty"


def test_tensor_picture_shows_shapes_dtypes_and_arrays():
    loss, *_ = linear_loss()
    dot = viz.draw(loss).to_dot()
    assert "(4, 3) float64" in dot and "(3, 2) float64" in dot and "(2,) float64" in dot
    boxes = {box.lines[0].text: [line.text for line in box.lines[1:]] for box in viz.draw(loss).scene.boxes}
    assert boxes["W"] == ["(3, 2) float64", "data", "[1 -1]", "[0.5 0]", "[2 1]"]  # 6 elements: in full
    assert boxes["b"] == ["(2,) float64", "data [0.1 -0.2]"]
    assert boxes["X"] == ["(4, 3) float64", "data mean 0.55  min 0  max 1.1  norm 2.249"]  # 12: summarized
    assert boxes["loss"] == ["data 8.5"]  # a one-element result reads as a number
    assert "(4, 3) float64" in dot and "[0.5 0]" in dot
    labels = [a.label for a in viz.draw(loss).scene.arrows if a.label]
    assert sorted(labels) == sorted(["(4, 3)", "(3, 2)", "(4, 2)", "(2,)", "(4, 2)"])


def test_tensor_backward_picture_shows_gradient_shapes_and_values():
    loss, X, W, b, Z = linear_loss()
    for _ in backward_steps(loss):
        pass
    np.testing.assert_allclose(b.grad, [4.0, 4.0])
    picture = viz.draw(loss, direction="backward")
    labels = sorted(a.label for a in picture.scene.arrows if a.label)
    # the gradient's shape on every edge; b's is summed over the batch: (4, 2) -> (2,)
    assert labels == sorted(["grad () → (4, 2)", "grad (4, 2)", "grad (4, 2) → (2,)", "no grad",
                             "grad (4, 2) → (3, 2)"])
    dot = picture.to_dot()
    assert "grad [4 4]" in dot  # b's gradient in full
    assert "no grad (requires_grad=False)" in dot  # X
    graph = viz.to_networkx(loss)
    b_attrs = next(a for _, a in graph.nodes(data=True) if a["label"] == "b")
    assert b_attrs["shape"] == (2,) and b_attrs["dtype"] == "float64"
    np.testing.assert_allclose(b_attrs["grad"], [4.0, 4.0])
    edge = next(a for u, v, a in graph.edges(data=True) if graph.nodes[u]["label"] == "b")
    assert edge["local"] is None
    np.testing.assert_allclose(edge["contribution"], [4.0, 4.0])


def test_tensor_stepper_and_check_gradients():
    loss, X, W, b, Z = linear_loss()
    stepper = viz.BackpropStepper(loss)
    assert len(stepper) == 4  # seed, sum, +, @
    assert stepper.grad(1, b) is None
    np.testing.assert_allclose(stepper.grad(2, b), [4.0, 4.0])
    assert stepper.caption(2) == "step 2 of 3: at Z (grad (4, 2) array): XW += grad (4, 2), b += grad (2,)"
    assert b.grad is None and W.grad is None  # the stepper left the graph alone
    expected_w = X.data.T @ np.ones((4, 2))
    report = viz.check_gradients(loss, {"W": expected_w, "b": [4.0, 4.0], "Z": np.ones((4, 3))})
    assert report.correct == ["W", "b"] and report.wrong == ["Z"]
    assert report.unanswered == ["XW"]  # X needs no gradient, loss is the output: neither is asked for


def test_a_non_scalar_root_needs_a_seed():
    _, X, W, b, Z = linear_loss()
    dot = viz.draw(Z, direction="backward").to_dot()
    assert "grad: not computed yet" in dot  # no pass without a seed, nothing made up
    with pytest.raises(RuntimeError, match="one element"):
        viz.BackpropStepper(Z)
    stepper = viz.BackpropStepper(Z, grad=np.ones((4, 2)))
    np.testing.assert_allclose(stepper.grad(-1, b), [4.0, 4.0])


def test_the_real_tensor_engine_renders_steps_and_checks():
    from autodiff import Tensor

    x = Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), requires_grad=True, label="x")
    W = Tensor(np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]), requires_grad=True, label="W")
    b = Tensor(np.array([0.05, -0.05]), label="b")
    h = (x @ W + b).tanh()
    h.label = "h"
    loss = (h * h + h).sum()
    loss.label = "loss"
    stepper = viz.BackpropStepper(loss)
    assert x.grad is None and W.grad is None  # stepping left the graph alone
    loss.backward()
    picture = viz.draw(loss, direction="backward")
    boxes = {box.lines[0].text: [line.text for line in box.lines] for box in picture.scene.boxes}
    assert boxes["x"][1] == "(2, 3) float64" and boxes["b"][-1] == "no grad (requires_grad=False)"
    assert boxes["h"][-3] == "grad: sum of 3 contributions"  # h * h uses h twice, + once more
    assert boxes["W"][-4:] == ["grad"] + fmt.value_lines(W.grad)
    labels = sorted(a.label for a in picture.scene.arrows if a.label)
    assert "grad (2, 2) → (2, 3)" in labels and "grad (2, 2) → (3, 2)" in labels and "no grad" in labels
    np.testing.assert_allclose(stepper.grad(-1, W), W.grad)
    assert viz.check_gradients(loss, {"x": x.grad, "W": W.grad}).correct == ["x", "W"]
    assert viz.draw(loss, direction="backward", engine="matplotlib").render("png").startswith(b"\x89PNG")

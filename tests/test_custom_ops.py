"""The public protocol for a new primitive: ``autodiff.Op`` and ``autodiff.TensorOp`` called on
nodes, backward, create_graph, gradcheck and check_op on them, the op metadata pictures
read (symbol, arity, spell), ``autodiff.Node``, and ``viz.draw`` of a custom-op graph."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import autodiff
import viz
from autodiff import GradcheckError, Op, Tensor, TensorOp, Value

# d(a^3)/da = 3 a^2
cube = Op("cube", forward=lambda a: a**3, local=lambda a, out: (3 * a * a,))


# -- Op: a scalar primitive ---------------------------------------------------------------


def test_a_new_op_applied_to_a_value():
    x = Value(2.0, "x")
    y = cube(x)
    assert isinstance(y, Value) and y.data == 8.0
    assert y.op == "cube" and y.primitive is cube and y.parents == (x,)
    y.backward()
    assert x.grad == 12.0  # 3 x^2


@pytest.mark.parametrize("number", [2, 2.0, np.float64(2.0), np.int32(2)])
def test_a_new_op_applied_to_a_number(number):
    y = cube(number)
    assert isinstance(y, Value) and y.data == float(number) ** 3
    (constant,) = y.parents
    assert constant.data == float(number) and constant.parents == ()
    y.backward()
    assert constant.grad == 3 * float(number) ** 2


def test_a_new_op_refuses_a_bool():
    with pytest.raises(TypeError, match="got a bool"):
        cube(True)


def test_a_new_op_in_a_bigger_expression():
    x = Value(0.7)
    y = cube(x.sin()) * x + cube(x)  # sin(x)^3 x + x^3
    y.backward()
    s, c = math.sin(0.7), math.cos(0.7)
    assert y.data == pytest.approx(s**3 * 0.7 + 0.7**3, rel=1e-15)
    assert x.grad == pytest.approx(3 * s * s * c * 0.7 + s**3 + 3 * 0.7**2, rel=1e-14)


@pytest.mark.parametrize("x0", [2.0, -1.5, 0.0])
def test_second_and_third_derivatives_of_a_new_op(x0):
    x = Value(x0)
    (first,) = autodiff.grad(cube(x), [x], create_graph=True)
    (second,) = autodiff.grad(first, [x], create_graph=True)
    (third,) = autodiff.grad(second, [x])
    assert (first.data, second.data, third.data) == (3 * x0 * x0, 6 * x0, 6.0)


def test_gradcheck_passes_on_a_new_op():
    assert autodiff.gradcheck(lambda a, b: cube(a * b) + cube(a).tanh(), [Value(0.4), Value(-1.3)])


def test_check_op_passes_on_a_correct_rule():
    assert autodiff.check_op(cube)
    hypot = Op("hypot", forward=math.hypot, local=lambda a, b, out: (a / out, b / out))
    assert hypot.arity == 2
    assert autodiff.check_op(hypot, domain=(0.5, 3.0))


def test_check_op_names_the_input_and_both_numbers_for_a_wrong_rule():
    wrong = Op("cube", forward=lambda a: a**3, local=lambda a, out: (2 * a * a,))  # should be 3 a^2
    with pytest.raises(GradcheckError) as caught:
        autodiff.check_op(wrong)
    message = str(caught.value)
    found = re.search(
        r"Op\('cube'\).* for input 0 at \((\S+)\): expected (\S+) \(central differences\), given (\S+) \(", message
    )
    assert found, message
    point, numeric, analytic = (float(v) for v in found.groups())
    assert analytic == pytest.approx(2 * point**2, rel=1e-3)  # the rule as given
    assert numeric == pytest.approx(3 * point**2, rel=1e-3)  # what it should be


def test_check_op_finds_a_rule_that_differs_on_graph_nodes():
    two_faced = Op(
        "two_faced",
        forward=lambda a: a**3,
        local=lambda a, out: (3 * a * a if isinstance(a, float) else 2 * a * a,),
    )
    with pytest.raises(GradcheckError, match="other numbers on graph nodes"):
        autodiff.check_op(two_faced)


def test_gradcheck_names_the_input_and_both_numbers_for_a_wrong_rule():
    wrong = Op("cube", forward=lambda a: a**3, local=lambda a, out: (2 * a * a,))
    with pytest.raises(GradcheckError, match=r"input 0 \('x'\): analytic 0\.5 vs numeric 0\.75"):
        autodiff.gradcheck(lambda v: wrong(v), [Value(0.5, "x")])


def test_a_new_op_with_a_domain_check():
    safe_log = Op("safe_log", forward=math.log, local=lambda a, out: (1 / a,),
                  check=lambda a: "needs a positive input" if a <= 0 else None)
    with pytest.raises(ValueError, match=r"safe_log\('x'=-1.0\): needs a positive input"):
        safe_log(Value(-1.0, "x"))
    assert safe_log(Value(math.e)).data == pytest.approx(1.0, rel=1e-15)


def test_a_new_op_called_with_the_wrong_number_of_inputs():
    with pytest.raises(TypeError, match=r"'cube' takes 1 input, got 2"):
        cube(Value(1.0), Value(2.0))
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for cube: 'str'"):
        cube("a")


def test_an_op_of_any_number_of_inputs():
    total = Op("total", forward=lambda *a: sum(a), local=lambda *inputs: (1.0,) * (len(inputs) - 1))
    assert total.arity is None
    xs = [Value(float(i)) for i in range(4)]
    y = total(*xs)
    y.backward()
    assert y.data == 6.0 and [x.grad for x in xs] == [1.0] * 4
    with pytest.raises(ValueError, match="give it arity="):
        autodiff.check_op(total)


# -- op metadata ------------------------------------------------------------------------------


def test_op_metadata_for_pictures():
    assert (cube.name, cube.symbol, cube.arity, cube.notation) == ("cube", None, 1, None)
    assert cube.spell("x") == "cube(x)"
    x, y = Value(1.0), Value(2.0)
    assert (x + y).primitive.spell("x", "y") == "x + y" and (x + y).primitive.symbol == "+"
    assert (x + y).primitive.arity == 2
    assert (-x).primitive.spell("x") == "-x" and (-x).primitive.arity == 1
    assert (x**2).primitive.spell("x") == "x**2" and (x**2).primitive.arity == 1
    assert x.tanh().primitive.spell("h") == "tanh(h)" and x.tanh().primitive.symbol is None
    xor = Op("xor", forward=lambda a, b: a + b, local=lambda a, b, out: (1.0, 1.0), symbol="^")
    assert xor.notation == "{0} ^ {1}" and xor.spell("p", "q") == "p ^ q"
    written = Op("sq", forward=lambda a: a * a, local=lambda a, out: (2 * a,), notation="{0}²")
    assert written.spell("x") == "x²"
    three = Op("fma", forward=lambda a, b, c: a * b + c, local=lambda a, b, c, out: (b, a, 1.0), symbol="?")
    assert three.arity == 3 and three.notation is None and three.spell("a", "b", "c") == "fma(a, b, c)"
    assert Op("pair", forward=min, local=lambda *a: (1.0,), arity=2).arity == 2


def test_an_op_needs_a_name_and_functions():
    with pytest.raises(TypeError, match="needs a name"):
        Op("", forward=abs, local=lambda a, out: (1.0,))
    with pytest.raises(TypeError, match="local must be a function"):
        Op("f", forward=abs, local=3)
    with pytest.raises(TypeError, match="vjp must be a function"):
        TensorOp("f", forward=np.abs, vjp=None)


# -- TensorOp: a tensor primitive -------------------------------------------------------------

tensor_cube = TensorOp("cube", forward=lambda a: a**3, vjp=lambda g, out, needs, a: (3 * g * a * a,))
# a + 2 b, b broadcast over the rows of a: the vjp returns g's shape for b, the engine sums it back
plus_twice = TensorOp("plus_twice", forward=lambda a, b: a + 2 * b, vjp=lambda g, out, needs, a, b: (g, 2 * g),
                      symbol="⊕")


def test_a_new_tensor_op_applied_to_a_tensor():
    x = Tensor([1.0, -2.0, 0.5], requires_grad=True, label="x")
    y = tensor_cube(x)
    assert isinstance(y, Tensor) and y.op == "cube" and y.primitive is tensor_cube and y.parents == (x,)
    np.testing.assert_array_equal(y.data, [1.0, -8.0, 0.125])
    y.backward(np.array([1.0, 2.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 24.0, -0.75])


def test_a_new_tensor_op_with_broadcasting_numbers_and_arrays():
    rng = np.random.default_rng(0)
    A, B, G = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((4, 3))
    a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    out = plus_twice(a, b)
    np.testing.assert_allclose(out.data, A + 2 * B, rtol=1e-15)
    out.backward(G)
    assert b.grad.shape == (3,)
    np.testing.assert_allclose(a.grad, G, rtol=1e-15)
    np.testing.assert_allclose(b.grad, 2 * G.sum(axis=0), rtol=1e-14)
    # a number and an array become constants; float32 stays float32
    c = Tensor(A.astype(np.float32), requires_grad=True)
    d = plus_twice(c, 1.5)
    assert d.dtype == np.float32 and d.parents[1].data.dtype == np.float32
    np.testing.assert_allclose(d.data, A.astype(np.float32) + 3.0, rtol=1e-6)
    e = plus_twice(B, a)
    e.backward(np.ones((4, 3)))
    np.testing.assert_allclose(a.grad, G + 2.0, rtol=1e-15)


def test_a_new_tensor_op_second_derivative():
    x = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    (first,) = autodiff.grad(tensor_cube(x).sum(), [x], create_graph=True)
    (second,) = autodiff.grad(first.sum(), [x])
    np.testing.assert_array_equal(first.data, 3 * x.data**2)
    np.testing.assert_array_equal(second.data, 6 * x.data)


def test_gradcheck_and_check_op_on_new_tensor_ops():
    rng = np.random.default_rng(1)
    a = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(3), requires_grad=True)
    assert autodiff.gradcheck(lambda a, b: (tensor_cube(plus_twice(a, b)) * a).sum(), [a, b])
    assert autodiff.check_op(tensor_cube)
    assert autodiff.check_op(plus_twice)


def test_check_op_names_the_input_of_a_wrong_tensor_rule():
    wrong = TensorOp("plus_twice", forward=lambda a, b: a + 2 * b, vjp=lambda g, out, needs, a, b: (g, g))
    with pytest.raises(GradcheckError, match=r"TensorOp\('plus_twice'\).*input 1 element .* at inputs of shape .*: expected .* given"):
        autodiff.check_op(wrong)


def test_tensor_op_metadata():
    assert tensor_cube.arity == 1 and tensor_cube.spell("x") == "cube(x)"
    assert plus_twice.arity == 2 and plus_twice.spell("a", "b") == "a ⊕ b"
    scaled = TensorOp("scaled", forward=lambda a, *, k: k * a, vjp=lambda g, out, needs, a, *, k: (k * g,))
    assert scaled.arity == 1  # a keyword parameter is not an input
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = scaled(x, k=3.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    with pytest.raises(TypeError, match=r"'cube' takes 1 tensor input, got 2"):
        tensor_cube(x, x)
    s = (Tensor([1.0]) + Tensor([2.0])).primitive
    assert s is None or s.spell("a", "b") == "a + b"  # a result of constants is a leaf
    assert (x + x).primitive.spell("a", "b") == "a + b" and (x @ Tensor(np.eye(2))).primitive.symbol == "@"


# -- the graph protocol ---------------------------------------------------------------------


def test_values_and_tensors_are_nodes():
    for node in (Value(1.0), cube(Value(1.0)), Tensor([1.0]), tensor_cube(Tensor([1.0], requires_grad=True))):
        assert isinstance(node, autodiff.Node)
    for other in (1.0, np.ones(2), "x", None):
        assert not isinstance(other, autodiff.Node)


class Scalar:
    """A node class of our own: the graph protocol and nothing more (y = a * b only)."""

    def __init__(self, data, parents=(), label=""):
        self.data, self.grad, self.label, self._parents = data, None, label, tuple(parents)

    @property
    def parents(self):
        return self._parents

    @property
    def op(self):
        return "*" if self._parents else ""

    def local_derivatives(self):
        if not self._parents:
            return ()
        a, b = self._parents
        return (b.data, a.data)

    def vjp(self, upstream, create_graph=False):
        return tuple(local * upstream for local in self.local_derivatives())

    def initial_grad(self, grad=None):
        return 1.0 if grad is None else grad


def test_a_node_class_of_ones_own_works_with_the_engine():
    a, b = Scalar(3.0, label="a"), Scalar(-2.0, label="b")
    ab = Scalar(a.data * b.data, (a, b))
    y = Scalar(ab.data * a.data, (ab, a), label="y")  # a^2 b
    assert isinstance(y, autodiff.Node)
    steps = list(autodiff.backward_steps(y))
    assert [s.node for s in steps] == [y, ab]
    assert steps[0].locals == (3.0, -6.0)
    assert (a.grad, b.grad) == (2 * 3.0 * -2.0, 9.0)


# -- pictures of a custom-op graph ----------------------------------------------------------


def texts(picture):
    return [line.text for box in picture.scene.boxes for line in box.lines]


def test_draw_a_graph_with_a_new_op(tmp_path):
    x = Value(2.0, "x")
    y = cube(x) + x
    y.label = "y"
    picture = viz.draw(y)
    assert "cube" in texts(picture) and "data 8" in texts(picture)
    assert "cube" in picture.to_dot()
    svg = picture.save(tmp_path / "cube.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "cube" in svg
    png = picture.save(tmp_path / "cube.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    # backward: the chain rule through the new op in numbers, upstream x local = contribution
    y.backward()
    after = viz.draw(y, direction="backward")
    assert "grad 1 + 12 = 13" in texts(after)  # x is used twice: 1 + 3 x^2
    assert "1 × 12 = 12" in [arrow.label for arrow in after.scene.arrows]
    assert after.render("svg").count(b"cube") >= 1


def test_draw_with_the_matplotlib_renderer_and_a_tensor_op(tmp_path):
    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    y = plus_twice(tensor_cube(x), x).sum()
    picture = viz.draw(y, engine="matplotlib")
    labels = texts(picture)
    assert "cube" in labels and "plus_twice" in labels
    png = picture.save(tmp_path / "tensor_ops.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"

"""The scalar engine: the slides' worked example f = (x + y) z, the backward loop, higher-order
grad, errors."""

from __future__ import annotations

import gc
import math
import sys

import pytest

import autodiff
from autodiff import Value, backward_steps, grad, no_grad, topological_order


def worked_example():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    return x, y, z, q, f


# -- the worked example: f = (x + y) z at x = -2, y = 5, z = -4 ------------------------


def test_worked_example_forward_and_backward():
    x, y, z, q, f = worked_example()
    assert (q.data, f.data) == (3.0, -12.0)
    f.backward()
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)


def test_worked_example_steps_show_upstream_local_downstream():
    x, y, z, q, f = worked_example()
    steps = list(backward_steps(f))
    assert [s.node for s in steps] == [f, q]
    first, second = steps
    assert first.upstream == 1.0
    assert [(e.parent, e.local, e.contribution) for e in first.edges] == [(q, -4.0, -4.0), (z, 3.0, 3.0)]
    assert second.upstream == -4.0
    assert [(e.parent, e.local, e.contribution) for e in second.edges] == [(x, 1.0, -4.0), (y, 1.0, -4.0)]


def test_steps_fill_gradients_in_order():
    x, y, z, q, f = worked_example()
    steps = backward_steps(f)
    assert q.grad is None  # not computed yet
    next(steps)
    assert (q.grad, z.grad) == (-4.0, 3.0) and x.grad == 0.0
    next(steps)
    assert (x.grad, y.grad) == (-4.0, -4.0)
    assert list(steps) == []


def test_consuming_steps_equals_backward():
    def build():
        a, b = Value(0.7), Value(-1.3)
        c = (a * b).tanh() + a.exp() * b - (a / (b * b + 1)).sigmoid()
        return a, b, c

    a1, b1, c1 = build()
    c1.backward()
    a2, b2, c2 = build()
    for _ in backward_steps(c2):
        pass
    assert (a1.grad, b1.grad) == (a2.grad, b2.grad)


def test_topological_order_puts_parents_first():
    x, y, z, q, f = worked_example()
    order = topological_order(f)
    assert order == [x, y, q, z, f]
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)


def test_topological_order_leaves_gradients_alone():
    x, y, z, q, f = worked_example()
    f.backward()
    topological_order(f)
    assert (q.grad, f.grad, x.grad) == (-4.0, 1.0, -4.0)  # only backward() resets intermediates


# -- accumulation and repeated backward -----------------------------------------------------


def test_fan_out_accumulates():
    x = Value(3.0)
    a = x * x
    b = a + a  # b = 2 x^2, db/dx = 4x
    b.backward()
    assert x.grad == 12.0
    assert a.grad == 2.0


def test_results_are_not_computed_until_backward_reaches_them():
    x, y, z, q, f = worked_example()
    assert (q.grad, f.grad) == (None, None)  # "not computed yet", unlike a computed 0
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)  # leaves: accumulators at zero
    unreached = x * 2  # not part of f's graph
    f.backward()
    assert (q.grad, f.grad, unreached.grad) == (-4.0, 1.0, None)
    with no_grad():
        assert (x * 2).grad == 0.0  # a result made under no_grad is a leaf


def test_backward_twice_doubles_leaves_only():
    x, y, z, q, f = worked_example()
    f.backward()
    f.backward()
    assert (x.grad, y.grad, z.grad) == (-8.0, -8.0, 6.0)
    assert (q.grad, f.grad) == (-4.0, 1.0)  # intermediates recomputed, not doubled


def test_backward_with_explicit_seed():
    x = Value(2.0)
    f = x * x
    f.backward(0.5)
    assert x.grad == 2.0
    with pytest.raises(TypeError, match="str"):
        f.backward("1")


def test_million_operation_chain_backprops_without_recursion():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    node = x
    for i in range(1_000_000):
        node = node * 1.0000001 if i % 2 else node + 0.5
    node.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad == pytest.approx(1.0000001**500_000, rel=1e-9)
    del node  # freeing the chain must not recurse either


def _live_values() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is Value)


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        x = Value(0.5)
        before = _live_values()
        y = (x * x).tanh() + x.exp() * 3 - x.sigmoid() / 2
        y.backward()
        steps = list(backward_steps(y))
        assert _live_values() == before + len(topological_order(y)) - 1
        del y, steps
        assert _live_values() == before  # no cycle kept any node alive
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- higher order ----------------------------------------------------------------------


def test_second_derivative_of_sigmoid():
    for t in (-2.0, 0.0, 0.3, 4.0):
        x = Value(t)
        (d1,) = grad(x.sigmoid(), [x], create_graph=True)
        (d2,) = grad(d1, [x])
        s = 1 / (1 + math.exp(-t))
        assert d1.data == pytest.approx(s * (1 - s), rel=1e-12)
        assert d2.data == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-10, abs=1e-15)


def test_second_derivative_of_tanh():
    x = Value(0.7)
    (d1,) = grad(x.tanh(), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    t = math.tanh(0.7)
    assert d2.data == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_third_derivative_of_cube():
    x = Value(1.5)
    (d1,) = grad(x**3, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert (d1.data, d2.data, d3.data) == pytest.approx((3 * 1.5**2, 6 * 1.5, 6.0), rel=1e-12)


def test_mixed_partial_of_x_y_sin_x():
    x, y = Value(0.8), Value(-1.7)
    f = x * y * x.sin()
    dfdx, dfdy = grad(f, [x, y], create_graph=True)
    (d2,) = grad(dfdx, [y])
    # d/dy d/dx (x y sin x) = sin x + x cos x
    assert d2.data == pytest.approx(math.sin(0.8) + 0.8 * math.cos(0.8), rel=1e-12)
    assert dfdy.data == pytest.approx(0.8 * math.sin(0.8), rel=1e-12)


def test_grad_leaves_dot_grad_untouched_and_returns_values():
    x, y, z, q, f = worked_example()
    x.grad = 10.0
    gx, gz = grad(f, [x, z])
    assert isinstance(gx, Value) and (gx.data, gz.data) == (-4.0, 3.0)
    assert x.grad == 10.0 and z.grad == 0.0
    (unused,) = grad(f, [Value(1.0)])
    assert unused.data == 0.0


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
        assert not autodiff.is_grad_enabled()
    assert y.parents == () and y.op == "" and y.data == 5.0
    assert autodiff.is_grad_enabled()
    z = x * x
    assert z.parents == (x, x)


def test_no_grad_nests_with_enable_grad_and_works_as_a_decorator_even_when_reentered():
    with no_grad():
        with autodiff.enable_grad():
            assert (Value(1.0) * 2).parents != ()
        assert not autodiff.is_grad_enabled()

    @no_grad()
    def depth_first(n):  # re-enters the same decorator: each call keeps its own previous state
        return depth_first(n - 1) if n else Value(3.0) * 2

    y = depth_first(3)
    assert y.parents == () and y.data == 6.0
    assert autodiff.is_grad_enabled()


def test_gradcheck_passes_and_fails_with_names():
    assert autodiff.gradcheck(lambda a, b: (a * b).tanh() + a / b, [Value(0.3), Value(1.2)])

    wrong = autodiff.Op("bad_square", lambda a: a * a, lambda a, out: (3 * a,))  # should be 2a
    w = Value(1.5, label="w")
    with pytest.raises(autodiff.GradcheckError, match=r"input 0 \('w'\): analytic 4.5 vs numeric 2.99999"):
        autodiff.gradcheck(lambda a: wrong(a), [w])


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", None, [1.0], 1 + 2j])
def test_value_rejects_non_numbers_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_arithmetic_with_a_string_names_the_types():
    with pytest.raises(TypeError, match="'Value' and 'str'"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="'str' and 'Value'"):
        "a" - Value(1.0)


def test_domain_errors_name_the_node_and_value():
    with pytest.raises(ValueError, match=r"log\('w'=-1.0\): log needs a positive input"):
        Value(-1.0, label="w").log()
    with pytest.raises(ValueError, match=r"log\('z'=0.0\)"):
        Value(0.0, label="z").log()
    with pytest.raises(ValueError, match=r"sqrt\('s'=-4.0\)"):
        Value(-4.0, label="s").sqrt()
    with pytest.raises(ZeroDivisionError, match=r"'b'=0.0\): division by zero"):
        Value(1.0, label="a") / Value(0.0, label="b")
    with pytest.raises(ZeroDivisionError):
        1 / Value(0.0)
    with pytest.raises(ZeroDivisionError, match="negative power"):
        Value(0.0) ** -1
    with pytest.raises(ValueError, match="non-integer power"):
        Value(-8.0) ** (1 / 3)


def test_nan_and_inf_propagate_as_ieee():
    nan, inf = Value(math.nan), Value(math.inf)
    assert math.isnan((nan * 2).data) and math.isnan(nan.log().data) and math.isnan(nan.relu().data)
    assert (inf + 1).data == math.inf and inf.exp().data == math.inf and inf.tanh().data == 1.0
    assert Value(1000.0).exp().data == math.inf
    assert math.isnan(inf.sin().data)
    assert (Value(1e300) ** 2).data == math.inf
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf  # d sqrt(x)/dx at 0, as in IEEE arithmetic and PyTorch


def test_labels():
    v = Value(1.0, label="v")
    assert v.label == "v" and (v * 2).label == ""
    v.label = "w"
    assert v.label == "w" and "w" in repr(v)
    with pytest.raises(TypeError, match="label must be a str"):
        v.label = 3
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=None)


def test_op_names_and_parents():
    x, y = Value(2.0), Value(3.0)
    assert (x + y).op == "+" and (x - y).op == "-" and (x * y).op == "*" and (x / y).op == "/"
    assert (x**y).op == "**" and (x**2).op == "**2" and (-x).op == "neg" and x.op == ""
    assert (2**x).parents[1] is x and (2**x).data == 4.0
    assert (x + 1).parents[0] is x and (x + 1).parents[1].data == 1.0
    assert (1 - x).data == -1.0 and (6 / x).data == 3.0 and (3 * x).data == 6.0


def test_topological_order_and_backward_steps_take_the_output_by_keyword():
    from autodiff import Value, backward_steps, topological_order

    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = x * y + x
    assert [n.label or n.op for n in topological_order(output=f)] == ["x", "y", "*", "+"]
    for _ in backward_steps(output=f):
        pass
    assert (x.grad, y.grad) == (4.0, 2.0)

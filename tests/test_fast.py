"""autodiff.fast against the reference core: every speed trick gives the reference's numbers,
nodes and errors.

The scalar twins (operators and ``Value.backward``) and the tensor twins
(``TensorOp.__call__``, ``Tensor.backward``) are compared with the reference methods on
the same inputs, with the twins put in place by the test itself, so that the comparison
also runs under ``AUTODIFF_REFERENCE=1``. Graphs are also crossed: built by one path and
backpropagated by the other. The fused kernels (``linear``, ``softmax_cross_entropy``)
and the BLAS sums are compared with the plain compositions and ``np.sum`` they replace.
"""

from __future__ import annotations

import contextlib
import math
import operator
import os
import platform
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff
from autodiff import Op, Tensor, TensorOp, Value, fast, linear, softmax_cross_entropy
from autodiff import tensor as tensor_module
from autodiff import tensor_ops

GRAPHS = settings(max_examples=100, deadline=None)


@contextlib.contextmanager
def twins():
    """The fast twins in place inside the block, whatever the environment asked for at
    import; the install state as it was afterwards."""
    was = fast.installed()
    fast.install()
    try:
        yield
    finally:
        if not was:
            fast.uninstall()


PATHS = {"fast": twins, "reference": fast.reference}


def recording(mode):
    """The recording state a node is made in: as it is ("plain"), ``no_grad()``, or a scope."""
    if mode == "no_grad":
        return autodiff.no_grad()
    return autodiff.scope("block") if mode == "scope" else contextlib.nullcontext()


def same_number(a, b) -> bool:
    """Equal as numbers, nan equal to nan, a zero of the same sign (0.0 and -0.0 are told
    apart: the twins give the reference's numbers bit for bit), and of the same type
    (float stays float)."""
    if type(a) is not type(b):
        return False
    if a is None:
        return True
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, float) and a == 0:
        return b == 0 and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


def qualname(scope) -> str | None:
    return None if scope is None else scope.qualname


# =========================================================================================
# The scalar engine: random expression graphs, built and backpropagated by both paths
# =========================================================================================

UNARY = {
    "neg": operator.neg,
    "pos": operator.pos,
    "exp": lambda v: v.exp(),
    "log": lambda v: v.log(),
    "sqrt": lambda v: v.sqrt(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "relu": lambda v: v.relu(),
    "sin": lambda v: v.sin(),
    "cos": lambda v: v.cos(),
    "erf": lambda v: v.erf(),
    "silu": lambda v: v.silu(),
    "abs": abs,
}
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
# Ops of one's own (applied through ``Op.__call__``, whose twin takes any number of inputs):
# a check that refuses some inputs, a forward rule that returns an int, a bool, a numpy float
OPS = {
    "square": Op("square", lambda a: a * a, lambda a, out: (2 * a,)),
    "cube_root": Op("cube_root", lambda a: math.copysign(abs(a) ** (1 / 3), a),
                    lambda a, out: (1 / (3 * out * out),),
                    check=lambda a: "cube_root is not differentiable at 0" if a == 0 else None),
    "fma": Op("fma", lambda a, b, c: a * b + c, lambda a, b, c, out: (b, a, 1.0)),
    "dot2": Op("dot2", lambda a, b, c, d: a * c + b * d, lambda a, b, c, d, out: (c, d, a, b)),
    "mean": Op("mean", lambda *xs: sum(xs) / len(xs), lambda *xs_out: (1 / (len(xs_out) - 1),) * (len(xs_out) - 1)),
    "floor": Op("floor", lambda a: math.floor(a) if math.isfinite(a) else a, lambda a, out: (0.0,)),
    "positive": Op("positive", lambda a: a > 0, lambda a, out: (0.0,)),
    "np_half": Op("np_half", lambda a: np.float64(a) / 2, lambda a, out: (0.5,)),
}

LEAF_DATA = st.one_of(
    st.floats(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 40.0, 800.0, math.inf, -math.inf, math.nan]),
)
NUMBERS = st.one_of(st.integers(-3, 3), st.floats(-3, 3), st.sampled_from([0.0, -0.0, 0.5, 2.0, 1e300, True]))
BAD = st.sampled_from(["a", None, 1j, [1.0]])  # not real numbers: a TypeError naming the types
NODE = st.tuples(st.just("node"), st.integers(0, 10**6))  # taken modulo the nodes there are
MODES = st.sampled_from(["plain", "plain", "plain", "no_grad", "scope"])


@st.composite
def instructions(draw):
    kind = draw(st.sampled_from(["unary", "pow", "binary", "binary", "binary", "op", "label"]))
    if kind == "label":
        return ("label", draw(st.integers(0, 10**6)), draw(st.sampled_from(["h", "out", ""])))
    mode = draw(MODES)
    if kind == "op":  # any number of inputs, nodes mostly (numbers and bad ones too)
        operand = st.one_of(NODE, NODE, NODE, st.tuples(st.just("number"), NUMBERS), st.tuples(st.just("bad"), BAD))
        return ("op", draw(st.sampled_from(sorted(OPS))), tuple(draw(st.lists(operand, max_size=5))), mode)
    if kind == "unary":
        return ("unary", draw(st.sampled_from(sorted(UNARY))), draw(NODE), mode)
    if kind == "pow":  # a constant exponent: one parent
        return ("pow", draw(st.sampled_from([0, 1, 2, 3, -1, 0.5, -1.5, 2.5])), draw(NODE), mode)
    node = draw(NODE)
    other = draw(st.one_of(NODE, st.tuples(st.just("number"), NUMBERS), st.tuples(st.just("bad"), BAD)))
    left, right = (node, other) if draw(st.booleans()) else (other, node)
    return ("binary", draw(st.sampled_from(sorted(BINARY))), left, right, mode)


def execute(program, leaf_data):
    """Run the program on fresh leaves ``x0, x1, ...``: every node made, in order, and for
    each instruction None or the (type, message) of the error it raised."""
    nodes = [Value(v, f"x{i}") for i, v in enumerate(leaf_data)]
    outcomes = []

    def operand(spec):
        return nodes[spec[1] % len(nodes)] if spec[0] == "node" else spec[1]

    for step in program:
        if step[0] == "label":
            nodes[step[1] % len(nodes)].label = step[2]
            outcomes.append(None)
            continue
        mode = step[-1]
        try:
            with recording(mode):
                if step[0] == "unary":
                    out = UNARY[step[1]](operand(step[2]))
                elif step[0] == "pow":
                    out = operand(step[2]) ** step[1]
                elif step[0] == "op":
                    out = OPS[step[1]](*map(operand, step[2]))
                else:
                    out = BINARY[step[1]](operand(step[2]), operand(step[3]))
        except Exception as error:  # noqa: BLE001 - compared between the two paths
            outcomes.append((type(error), str(error)))
            continue
        outcomes.append(None)
        nodes.append(out)
    # the root: the last few results summed (more fan-out, more of the graph reached)
    root = nodes[-1]
    for node in nodes[-4:-1]:
        root = root + node
    nodes.append(root)
    return nodes, outcomes


def snapshot(nodes):
    """Every node of the graph of ``nodes[-1]``, then of the other nodes made, with its
    slots: type, data, grad, op, primitive, label, scope, and its parents as positions."""
    everything, seen = [], set()
    for node in reversed(nodes):
        for n in autodiff.topological_order(node):
            if id(n) not in seen:
                seen.add(id(n))
                everything.append(n)
    position = {id(n): i for i, n in enumerate(everything)}
    return [
        (type(n), n.data, n.grad, n.op, n.primitive, n.label, qualname(n.scope),
         tuple(position[id(p)] for p in n.parents))
        for n in everything
    ]


def assert_same_snapshots(got, want, what):
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        g_type, g_data, g_grad, *g_rest = g
        w_type, w_data, w_grad, *w_rest = w
        assert g_type is w_type, (what, i)
        assert same_number(g_data, w_data), (what, i, "data", g_data, w_data)
        assert same_number(g_grad, w_grad), (what, i, "grad", g_grad, w_grad, g_rest)
        assert g_rest == w_rest, (what, i, g_rest, w_rest)


@GRAPHS
@given(
    leaf_data=st.lists(LEAF_DATA, min_size=1, max_size=4),
    program=st.lists(instructions(), min_size=1, max_size=25),
    seed=st.sampled_from([None, 1.0, -2.5, 3, -0.0]),
    twice=st.booleans(),
)
def test_random_scalar_graphs_agree_node_for_node(leaf_data, program, seed, twice):
    results = {}
    for build in PATHS:
        for run in PATHS:
            with PATHS[build]():
                nodes, outcomes = execute(program, leaf_data)
            before = snapshot(nodes)
            with PATHS[run]():
                for _ in range(2 if twice else 1):
                    nodes[-1].backward(seed)
            results[build, run] = (outcomes, before, snapshot(nodes))
    want_outcomes, want_before, want_after = results["reference", "reference"]
    for key, (outcomes, before, after) in results.items():
        assert outcomes == want_outcomes, key  # the same errors, word for word
        assert_same_snapshots(before, want_before, (key, "built"))
        assert_same_snapshots(after, want_after, (key, "after backward"))


@pytest.mark.parametrize("path", PATHS)
def test_a_gradient_of_minus_zero_keeps_its_sign(path):
    """dz/dy = -0.0 for z = y * -0.0: the reference assigns a node its first contribution, the
    fast loop adds it to the gradient it reset, which must therefore be -0.0 (0.0 + -0.0 is
    0.0); so must the reset root's be, for a seed of -0.0, and a leaf's set to None by hand."""
    with PATHS[path]():
        x = Value(2.0)
        y = x * 1.0
        z = y * -0.0
        z.backward()
        assert y.grad == 0 and math.copysign(1.0, y.grad) == -1.0
        z.backward(-0.0)
        assert z.grad == 0 and math.copysign(1.0, z.grad) == -1.0
        x.grad = None
        (x * -0.0).backward()
        assert x.grad == 0 and math.copysign(1.0, x.grad) == -1.0


@pytest.mark.parametrize("owner, name", [(Value, "tanh"), (Value, "relu"), (Value, "exp"), (Value, "backward"),
                                         (Tensor, "backward"), (Tensor, "sigmoid"), (Tensor, "data"),
                                         (Op, "__call__"), (TensorOp, "__call__")])
def test_a_twin_has_its_reference_docstring(owner, name):
    """help(Value.tanh) shows the formula whichever path is in place."""
    with twins():
        fast_doc = getattr(owner, name).__doc__
    with fast.reference():
        reference_doc = getattr(owner, name).__doc__
    assert reference_doc and fast_doc == reference_doc


def both(fn):
    """fn() with the twins in place, and inside ``fast.reference()``."""
    with twins():
        fast_result = fn()
    with fast.reference():
        reference_result = fn()
    return fast_result, reference_result


def outcome(fn):
    """fn()'s result, or the type and message of the error it raised."""
    try:
        return fn()
    except Exception as error:  # noqa: BLE001 - compared between the two paths
        return type(error), str(error)


@pytest.mark.parametrize(
    "expression",
    [
        lambda: Value(-1.0, "x").log(),
        lambda: Value(-4.0).sqrt(),
        lambda: Value(1.0) / 0,
        lambda: 1 / Value(0.0, "d"),
        lambda: Value(-2.0) ** 0.5,
        lambda: Value(0.0) ** -1,
        lambda: Value(-8.0) ** Value(1 / 3),
        lambda: Value(1.0) + "a",
        lambda: "a" + Value(1.0),
        lambda: Value(1.0) * None,
        lambda: 1j - Value(1.0),
        lambda: Value(1.0) / [2.0],
        lambda: Value("1.0"),
        lambda: Value(2.0).backward("a"),
        lambda: (Value(2.0) * Value(3.0)).backward([1.0]),
    ],
    ids=["log(-1)", "sqrt(-4)", "x/0", "1/x(0)", "(-2)**0.5", "0**-1", "(-8)**V(1/3)", "V+str", "str+V",
         "V*None", "complex-V", "V/list", "Value(str)", "backward(str)", "backward(list)"],
)
def test_bad_input_gives_the_same_error_on_both_paths(expression):
    got, want = both(lambda: outcome(expression))
    assert isinstance(want, tuple) and issubclass(want[0], Exception), want
    assert got == want


def test_the_type_error_of_a_string_operand_names_both_types():
    for path in PATHS.values():
        with path(), pytest.raises(TypeError, match=r"for \+: 'Value' and 'str'"):
            Value(1.0) + "a"
        with path(), pytest.raises(TypeError, match=r"for \*: 'str' and 'Value'"):
            "a" * Value(1.0)
        with path(), pytest.raises(ValueError, match=r"log\('x'=-1.0\): log needs a positive input"):
            Value(-1.0, "x").log()


# -- an Op of three inputs, through both backward loops -----------------------------------

FMA = Op("fma", forward=lambda a, b, c: a * b + c, local=lambda a, b, c, out: (b, a, 1.0))


def fma_graph():
    """x, y, z leaves; an fma of an op node, a leaf used twice, and fma results reused."""
    x, y, z = Value(0.7, "x"), Value(-1.3, "y"), Value(0.4, "z")
    h = x * y
    u = FMA(h, x, z)  # x y x + z
    v = FMA(u, u, h).tanh()  # tanh(u^2 + x y)
    w = FMA(v, 2.0, x)  # a number among the inputs
    return (x, y, z), w


def fma_expected(x, y, z):
    u = x * y * x + z
    t = math.tanh(u * u + x * y)
    dt = 2 * (1 - t * t)  # dw/d(u^2 + x y)
    return (dt * (2 * u * 2 * x * y + y) + 1, dt * (2 * u * x * x + x), dt * 2 * u)


def test_an_op_of_three_inputs_through_both_backward_loops():
    results = {}
    for build in PATHS:
        for run in PATHS:
            with PATHS[build]():
                leaves, w = fma_graph()
            assert w.parents[0].parents[0].op == "fma" and len(w.parents) == 3
            with PATHS[run]():
                w.backward()
            results[build, run] = [leaf.grad for leaf in leaves]
    expected = fma_expected(0.7, -1.3, 0.4)
    for key, grads in results.items():
        assert grads == results["reference", "reference"], key
        assert grads == pytest.approx(expected, rel=1e-12), key


def test_an_op_of_three_inputs_with_create_graph_on_both_paths():
    def second_derivatives():
        leaves, w = fma_graph()
        gx, gy, gz = autodiff.grad(w, leaves, create_graph=True)
        return [g.data for g in autodiff.grad(gx + gy + gz, leaves)]

    got, want = both(second_derivatives)
    assert got == want
    # against central differences of the first derivatives
    h = 1e-6
    for i in range(3):
        up, down = [0.7, -1.3, 0.4], [0.7, -1.3, 0.4]
        up[i] += h
        down[i] -= h
        numeric = (sum(fma_expected(*up)) - sum(fma_expected(*down))) / (2 * h)
        assert want[i] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_a_leaf_gradient_set_to_none_by_hand():
    def run():
        x, c = Value(3.0, "x"), Value(2.0, "c")
        x.grad = None
        c.grad = None
        y = x * x + x  # x twice in one op, and in two ops
        y = FMA(y, c, x)  # and through the n-ary op, beside another None leaf
        y.backward()
        return x.grad, c.grad

    got, want = both(run)
    assert got == want == (2.0 * (2 * 3.0 + 1) + 1, 3.0 * 3.0 + 3.0)


def test_a_value_as_the_seed_makes_the_gradients_values():
    def run():
        x = Value(1.5, "x")
        seed = Value(2.0, "s")
        y = x * x.sin()
        y.backward(seed)
        assert isinstance(x.grad, Value)
        (dgrad_dseed,) = autodiff.grad(x.grad, [seed])
        return x.grad.data, dgrad_dseed.data

    got, want = both(run)
    derivative = math.sin(1.5) + 1.5 * math.cos(1.5)
    assert got == want
    assert want[0] == pytest.approx(2 * derivative, rel=1e-14)
    assert want[1] == pytest.approx(derivative, rel=1e-14)


def test_create_graph_through_backward_on_both_paths():
    def run():
        x = Value(0.8, "x")
        y = x**3 * x.sin()
        autodiff.backward(y, create_graph=True)
        first = x.grad
        assert isinstance(first, Value)
        (second,) = autodiff.grad(first, [x])
        return first.data, second.data

    got, want = both(run)
    a = 0.8
    assert got == want
    assert want[0] == pytest.approx(3 * a**2 * math.sin(a) + a**3 * math.cos(a), rel=1e-13)
    assert want[1] == pytest.approx(6 * a * math.sin(a) + 6 * a**2 * math.cos(a) - a**3 * math.sin(a), rel=1e-12)


def test_ieee_answers_where_float_arithmetic_raises_in_a_local_rule():
    def run():
        x, y, z = Value(0.0), Value(10.0), Value(0.0)
        out = x.sqrt() + y**309.5 + z**0.5 + FMA(x, x, y)
        out.backward()
        return x.grad, y.grad, z.grad

    got, want = both(run)
    assert got == want
    assert want[0] == math.inf and want[1] == math.inf and want[2] == math.inf


# -- a fused neuron's affine node, whose backward pass has a kernel of its own --------------


@GRAPHS
@given(
    data=st.lists(st.floats(-3, 3), min_size=3, max_size=12),
    picks=st.lists(st.integers(0, 10**6), min_size=2, max_size=16),
    seed=st.floats(-2, 2),
)
def test_the_affine_kernel_adds_what_the_generic_loop_adds(data, picks, seed):
    # inputs drawn from a few leaves and op nodes, so that one Value may be a weight twice,
    # or a weight and an input of the same neuron (each contribution added in input order)
    def run():
        leaves = [Value(v, f"v{i}") for i, v in enumerate(data)]
        pool = leaves + [leaves[0] * leaves[1], leaves[-1].tanh()]
        n = len(picks) // 2
        chosen = [pool[p % len(pool)] for p in picks[: 2 * n]]
        z = autodiff.scalar.affine(chosen[:n], chosen[n:], pool[2])
        out = z * z.relu() + z
        out.backward(seed)
        return [v.grad for v in leaves], z.data

    got, want = both(run)
    assert got == want
    grads, z = want
    # against the definition: dz/db = 1, dz/dw_i = x_i, dz/dx_i = w_i, times dout/dz
    leaves = [Value(v) for v in data]
    pool = leaves + [leaves[0] * leaves[1], leaves[-1].tanh()]
    n = len(picks) // 2
    chosen = [pool[p % len(pool)] for p in picks[: 2 * n]]
    upstream = seed * ((2 * z if z > 0 else 0.0) + 1)
    expected = [0.0] * len(pool)
    expected[2] += upstream
    for w, x in zip(chosen[:n], chosen[n:]):
        expected[pool.index(w)] += x.data * upstream
        expected[pool.index(x)] += w.data * upstream
    expected[0] += expected[-2] * data[1]
    expected[1] += expected[-2] * data[0]
    expected[len(data) - 1] += expected[-1] * (1 - math.tanh(data[-1]) ** 2)
    assert grads == pytest.approx(expected[: len(data)], rel=1e-9, abs=1e-9)


def test_the_walk_marks_each_pass_with_a_float_of_its_own():
    # the scalar walk marks a visited node by setting its gradient to a float object made
    # for that walk (float("-0")), which holds only if float(str) makes a new object each time
    assert float("-0") is not float("-0")
    with twins():
        x = Value(0.5, "x")
        y = x * x
        z = y * y + y
        z.backward()
        z.backward()  # the same graph again: every node visited again
        after_two = x.grad
        w = (y * 3.0).tanh() + y  # a new graph through y, whose gradient the last walk set
        x.grad = 0.0
        w.backward()
    assert after_two == pytest.approx(2 * (4 * 0.5**3 + 2 * 0.5), rel=1e-15)
    t = math.tanh(3 * 0.25)
    assert x.grad == pytest.approx((3 * (1 - t * t) + 1) * 2 * 0.5, rel=1e-15)


AFFINE_CASES = {
    "values": lambda v: ([v[0], v[1]], [v[2], v[0]], v[3]),
    "tuples": lambda v: ((v[0],), (v[2],), v[3]),
    "numbers among them": lambda v: ([v[0], 2.0], [3, v[1]], 0.5),
    "generators": lambda v: ((w for w in v[:2]), iter(v[2:4]), v[0]),
    "no weights": lambda v: ([], [], v[1]),
    "lengths differ": lambda v: ([v[0], v[1]], [v[2]], v[3]),
    "a string input": lambda v: ([v[0]], ["a"], v[1]),
    "a tensor input": lambda v: ([v[0]], [Tensor(np.array(1.0))], v[1]),
}


@pytest.mark.parametrize("mode", ["plain", "no_grad", "scope"])
@pytest.mark.parametrize("case", sorted(AFFINE_CASES))
def test_affine_agrees_with_the_reference(case, mode):
    def run():
        leaves = [Value(v, f"v{i}") for i, v in enumerate([0.5, -1.5, 2.0, 0.25])]
        block = (autodiff.no_grad() if mode == "no_grad" else autodiff.scope("neuron") if mode == "scope"
                 else contextlib.nullcontext())
        with block:
            z = outcome(lambda: autodiff.scalar.affine(*AFFINE_CASES[case](leaves)))
        if isinstance(z, tuple):
            return z
        if z.parents:
            (z * z).backward()
        return snapshot([*leaves, z])

    got, want = both(run)
    if isinstance(want, tuple):
        assert got == want
    else:
        assert_same_snapshots(got, want, case)


def test_affine_refuses_a_bias_weights_and_inputs_that_do_not_pair_up():
    w = [Value(1.0), Value(2.0)]
    for path in PATHS.values():
        with path(), pytest.raises(ValueError, match="affine takes a bias, then n weights and n inputs; got 3"):
            autodiff.scalar.AFFINE(Value(0.0), *w, Value(3.0))


# =========================================================================================
# Install state
# =========================================================================================


def test_import_autodiff_installed_the_twins_unless_asked_not_to():
    asked_not_to = os.environ.get("AUTODIFF_REFERENCE", "") in ("1", "true", "yes")
    assert fast.installed() is (not asked_not_to)
    for (cls, name), twin in fast._TWINS.items():
        reference = fast._REFERENCE[cls, name]
        assert twin is not reference
        assert cls.__dict__[name] is (reference if asked_not_to else twin), (cls.__name__, name)


def test_reference_puts_the_reference_methods_in_place_and_restores_the_twins():
    with twins():
        with fast.reference():
            assert not fast.installed()
            assert all(cls.__dict__[name] is m for (cls, name), m in fast._REFERENCE.items())
            with fast.reference():  # nested: still the reference, and still after
                assert not fast.installed()
            assert not fast.installed()
        assert fast.installed()
        assert all(cls.__dict__[name] is m for (cls, name), m in fast._TWINS.items())
        with pytest.raises(ZeroDivisionError), fast.reference():
            Value(1.0) / 0  # an error inside the block
        assert fast.installed()


def test_reference_leaves_the_reference_in_place_when_the_twins_were_not():
    with fast.reference():
        with fast.reference():
            pass
        assert not fast.installed()


def test_the_rules_of_plus_and_times_are_written_out_in_the_backward_loop():
    with twins():
        assert fast._inlined == (autodiff.scalar.ADD, autodiff.scalar.MUL)


@pytest.mark.parametrize("name", ["ADD", "MUL"])
def test_an_edited_rule_of_plus_or_times_is_called_not_overruled(name, monkeypatch):
    """A student who changes the derivative of + or * in scalar.py sees the change on the
    fast path too: the written-out copy is dropped when the rule no longer says the same."""
    op = getattr(autodiff.scalar, name)
    monkeypatch.setattr(op, "local", lambda a, b, out: (2.0, 3.0))  # a wrong rule, on purpose
    try:
        with twins():
            fast.install()  # (the rules are looked at when the twins are put in place)
            assert fast._inlined.count(None) == 1 and op not in fast._inlined
            x, y = Value(1.5), Value(-4.0)
            z = op(x, y)
            z.backward()
            assert (x.grad, y.grad) == (2.0, 3.0)
    finally:
        monkeypatch.undo()
        if fast.installed():
            fast.install()  # the rule as it was: written out again
    with twins():
        assert fast._inlined == (autodiff.scalar.ADD, autodiff.scalar.MUL)


def test_install_and_uninstall():
    with twins():
        fast.uninstall()
        assert not fast.installed() and Value.__add__ is fast._REFERENCE[Value, "__add__"]
        assert TensorOp.__call__ is fast._REFERENCE[TensorOp, "__call__"]
        fast.install()
        assert fast.installed() and Value.__add__ is fast._TWINS[Value, "__add__"]
        assert TensorOp.__call__ is fast._apply_tensors and Tensor.backward is fast._TWINS[Tensor, "backward"]


# =========================================================================================
# The tensor engine: applying an op
# =========================================================================================

RNG = np.random.default_rng(0)


def t(shape, dtype=np.float64, requires_grad=True, label=""):
    return Tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=requires_grad, label=label)


def tensor_slots(out, inputs):
    """A result's slots, its parents told by position among the inputs (or as the constant
    they became: data, dtype and leafness)."""
    parents = []
    for p in out.parents:
        matches = [i for i, x in enumerate(inputs) if x is p]
        if matches:
            parents.append(matches[0])
        else:
            assert not p.parents and not p.requires_grad and p.grad is None
            parents.append(("constant", p.data.tobytes(), p.data.dtype, p.data.shape))
    saved = out._saved
    return dict(
        type=type(out), data=(out.data.tobytes(), out.data.dtype, out.data.shape), grad=out.grad,
        requires_grad=out.requires_grad, op=out.op, primitive=out.primitive, params=out._params,
        saved=None if saved is None else [np.asarray(s).tobytes() if isinstance(s, np.ndarray) else s for s in saved],
        label=out.label, scope=qualname(out.scope), parents=parents,
    )


TRIPLE = TensorOp("triple", lambda a, b, c: a * b + c, lambda g, out, needs, a, b, c: (g * b, g * a, g))
# e^a, keeping e^a for its vjp (what a plain backward pass hands it as ``out``)
SAVER = TensorOp("saver", lambda a: (np.exp(a), ("kept", np.exp(a))), lambda g, out, needs, a: (g * out[1],),
                 saves=True)
CHECKED = TensorOp("checked", np.add, lambda g, out, needs, a, b: (g, g),
                   check=lambda a, b: "no negatives" if (a < 0).any() else None)

x23, y3, y23_32, w34, b4 = t((2, 3), label="x"), t(3), t((2, 3), np.float32), t((3, 4)), t(4)
c23 = t((2, 3), requires_grad=False)
APPLY_CASES = {
    "1 input": (tensor_ops.EXP, (x23,), {}),
    "1 input, params": (tensor_ops.SUM, (x23,), {"axis": 0, "keepdims": True}),
    "1 input, saves": (SAVER, (x23,), {}),
    "2 inputs, broadcast": (tensor_ops.MUL, (x23, y3), {}),
    "2 inputs, float32 and float64": (tensor_ops.ADD, (y23_32, y3), {}),
    "number": (tensor_ops.MUL, (y23_32, 2.5), {}),
    "number first": (tensor_ops.SUB, (3, x23), {}),
    "float array constant": (tensor_ops.ADD, (x23, np.ones(3, np.float32)), {}),
    "float array first": (tensor_ops.DIV, (np.full((2, 3), 2.0), x23), {}),
    "int array": (tensor_ops.ADD, (x23, np.arange(3)), {}),
    "bool array": (tensor_ops.MUL, (y23_32, np.array([True, False, True])), {}),
    "list": (tensor_ops.ADD, (x23, [1, 2, 3]), {}),
    "no input requires grad": (tensor_ops.ADD, (c23, c23), {}),
    "one of two requires grad": (tensor_ops.MUL, (c23, x23), {}),
    "3 inputs": (TRIPLE, (x23, y3, c23), {}),
    "3 inputs with an array": (TRIPLE, (x23, np.ones(3), y3), {}),
    "linear": (fast.LINEAR, (x23, w34, b4), {}),
    "4 inputs": (tensor_ops.CONCATENATE, (x23, c23, x23, y23_32), {"axis": 0}),
    "an op that checks": (tensor_ops.MATMUL, (x23, w34), {}),
    "a check that passes": (CHECKED, (Tensor(np.ones(3), requires_grad=True), y3), {}),
    "cross entropy": (fast.CROSS_ENTROPY, (x23, Tensor(np.full((2, 3), 1 / 3))), {"reduction": "mean"}),
}


@pytest.mark.parametrize("mode", ["plain", "no_grad", "scope"])
@pytest.mark.parametrize("case", sorted(APPLY_CASES))
def test_applying_an_op_agrees_with_the_reference(case, mode):
    op, inputs, params = APPLY_CASES[case]

    def apply(fn):
        with recording(mode):
            return tensor_slots(fn(), inputs)

    want = apply(lambda: tensor_module.apply(op, inputs, params))
    assert apply(lambda: fast._apply_tensors(op, *inputs, **params)) == want
    got_public, want_public = both(lambda: apply(lambda: op(*inputs, **params)))
    assert got_public == want_public == want
    assert want["requires_grad"] is (mode != "no_grad" and any(getattr(x, "requires_grad", False) for x in inputs))


w34_32, b4_32, c34 = t((3, 4), np.float32), t(4, np.float32), t((3, 4), requires_grad=False)
z64 = t((64, 10))  # many rows of a few classes: the cross entropy's transposed row maxima
KERNEL_CASES = {
    "linear": (lambda: linear(x23, w34, b4), (x23, w34, b4)),
    "linear, float32 and a float64 bias": (lambda: linear(y23_32, w34_32, b4), (y23_32, w34_32, b4)),
    "linear, float32": (lambda: linear(y23_32, w34_32, b4_32), (y23_32, w34_32, b4_32)),
    "linear, nothing requires grad": (lambda: linear(c23, c34, c34[0]), (c23, c34)),
    "cross entropy": (lambda: softmax_cross_entropy(x23, np.full((2, 3), 1 / 3)), (x23,)),
    "cross entropy, sum": (lambda: softmax_cross_entropy(x23, y23_32, "sum"), (x23, y23_32)),
    "cross entropy, none": (lambda: softmax_cross_entropy(x23, c23.softmax(), "none"), (x23,)),
    "cross entropy, 64 rows": (lambda: softmax_cross_entropy(z64, np.eye(10)[np.arange(64) % 10]), (z64,)),
}


@pytest.mark.parametrize("mode", ["plain", "no_grad", "scope"])
@pytest.mark.parametrize("case", sorted(KERNEL_CASES))
def test_a_fused_kernel_makes_the_node_the_generic_apply_makes(case, mode):
    """linear and softmax_cross_entropy fill their node's slots themselves when the twins
    are in place: the node TensorOp.__call__ makes inside fast.reference()."""
    build, inputs = KERNEL_CASES[case]

    def apply():
        with recording(mode):
            return tensor_slots(build(), inputs)

    got, want = both(apply)
    assert got == want


UNARY_INPUTS = {
    "float64": lambda: t((2, 3)),
    "float32": lambda: t((4,), np.float32),
    "0-d": lambda: Tensor(np.array(0.7), requires_grad=True),
    "0-d float32": lambda: Tensor(np.array(-1.5, np.float32), requires_grad=True),
    "no grad needed": lambda: t((3,), requires_grad=False),
    "positive, labelled": lambda: Tensor(np.abs(RNG.standard_normal(5)) + 0.1, requires_grad=True, label="p"),
}


@pytest.mark.parametrize("mode", ["plain", "no_grad", "scope"])
@pytest.mark.parametrize("given", sorted(UNARY_INPUTS))
@pytest.mark.parametrize("name", sorted(fast._TENSOR_UNARY))
def test_a_tensor_method_of_one_input_makes_the_node_the_op_makes(name, given, mode):
    x = UNARY_INPUTS[given]()

    def apply():
        with recording(mode), np.errstate(invalid="ignore", divide="ignore"):  # (log and sqrt of negatives: nan)
            return tensor_slots(getattr(x, name)(), (x,))

    got, want = both(apply)
    assert got == want
    assert want["primitive"] is (None if mode == "no_grad" or not x.requires_grad else fast._TENSOR_UNARY[name])


def test_an_in_place_update_of_data_is_recorded_as_an_edit_on_both_paths():
    def run():
        w = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="w")
        y = (w * w).sum()
        w.data -= 0.5 * np.ones(2)  # in place, assigned back: an edit after y was computed
        edited = outcome(y.backward)
        w.data = w.data  # the same array again: still an edit
        y = (w * w).sum()
        y.backward()
        return edited, w.data.tolist(), w.grad.tolist()

    got, want = both(run)
    assert got == want
    assert want[0][0] is RuntimeError and "'w' was changed after" in want[0][1]
    assert want[1:] == ([0.5, 1.5], [1.0, 3.0])


@pytest.mark.parametrize("value", [[1, 2], np.arange(2), np.ones(2, np.float32), 3.0, "a", None],
                         ids=["list", "int array", "float32 array", "number", "string", "None"])
def test_assigning_other_data_takes_the_reference_setter(value):
    def run():
        w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        result = outcome(lambda: setattr(w, "data", value))
        return result, (w.data.tobytes(), w.data.dtype, w.data.shape)

    got, want = both(run)
    assert got == want


def test_a_float_array_constant_is_kept_as_it_is():
    array = np.ones(3, np.float32)
    for path in PATHS.values():
        with path():
            out = x23 + array
        assert out.parents[1].data is array and out.dtype == np.float64


ERROR_CASES = {
    "broadcast": (tensor_ops.ADD, (t(3, label="a"), t(4, label="b")), {}),
    "matmul shapes": (tensor_ops.MATMUL, (x23, x23), {}),
    "a failing check": (CHECKED, (Tensor(-np.ones(3), label="neg"), y3), {}),
    "string": (tensor_ops.ADD, (x23, "a"), {}),
    "None": (tensor_ops.MUL, (None, x23), {}),
    "too many inputs": (tensor_ops.EXP, (x23, x23), {}),
    "too few inputs": (TRIPLE, (x23, x23), {}),
    "3 inputs that do not broadcast": (TRIPLE, (x23, w34, y3), {}),
    "complex array": (tensor_ops.ADD, (x23, np.ones(3) * 1j), {}),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_bad_input_to_an_op_gives_the_reference_error(case):
    op, inputs, params = ERROR_CASES[case]
    want = outcome(lambda: tensor_module.apply(op, inputs, params))
    assert isinstance(want, tuple) and issubclass(want[0], Exception)
    assert outcome(lambda: fast._apply_tensors(op, *inputs, **params)) == want
    assert both(lambda: outcome(lambda: op(*inputs, **params))) == (want, want)


# =========================================================================================
# The tensor engine: the backward pass
# =========================================================================================


def leaves_of(shapes_dtypes):
    rng = np.random.default_rng(7)
    return [Tensor(rng.uniform(0.5, 2.0, shape).astype(dtype), requires_grad=True, label=f"p{i}")
            for i, (shape, dtype) in enumerate(shapes_dtypes)]


GRAPH_CASES = {
    # name: (leaf shapes and dtypes, build(leaves) -> root)
    "broadcast add": ([((2, 3), np.float64), ((3,), np.float64), ((2, 1), np.float64)],
                      lambda a, b, c: (a + b) * c - b / c),
    "scalar broadcast": ([((), np.float64), ((4, 2), np.float64)], lambda s, m: (s * m).exp() + s),
    "float32 and float64": ([((2, 3), np.float32), ((3,), np.float64), ((2, 3), np.float32)],
                            lambda a, b, c: (a * b).tanh() + c * a),
    "float32 only": ([((3, 2), np.float32), ((2,), np.float32)], lambda a, b: (a - b).sigmoid() * a),
    "fan-out and views": ([((2, 3), np.float64)], lambda a: a.T.reshape(6) * a.reshape(-1) + a.sum(axis=0).sum()),
    "matmul and reductions": ([((4, 3), np.float64), ((3, 2), np.float64)],
                              lambda x, w: (x @ w).relu().mean(axis=0) + (x @ w).max(axis=1).sum()),
    "linear": ([((5, 3), np.float64), ((3, 4), np.float64), ((4,), np.float64)],
               lambda x, w, b: linear(x, w, b).tanh()),
    "linear, mixed dtypes": ([((5, 3), np.float32), ((3, 4), np.float32), ((4,), np.float64)],
                             lambda x, w, b: linear(x, w, b) * x.sum()),
    "three inputs": ([((2, 3), np.float64), ((3,), np.float64), ((2, 1), np.float32)],
                     lambda a, b, c: TRIPLE(a, b, c) * TRIPLE(c, c, b)),
    "four inputs": ([((2, 3), np.float64), ((1, 3), np.float32)],
                    lambda a, b: autodiff.concatenate([a, b, a * 2, b.exp()], axis=0).sin()),
    "cross entropy": ([((4, 5), np.float64), ((4, 5), np.float64)],
                      lambda z, t: softmax_cross_entropy(z, t.softmax(), "none") * z.sum(axis=1)),
    "indexing": ([((5,), np.float64)], lambda a: a[np.array([0, 2, 2, 4])] * a[1:4].cos().sum()),
    "one constant input": ([((3,), np.float64)], lambda a: a * Tensor(np.arange(3.0)) + np.ones(3)),
    "a leaf root": ([((2, 2), np.float64)], lambda a: a),
}


def all_grads(nodes):
    return [None if n.grad is None else (n.grad.tobytes(), n.grad.dtype, n.grad.shape) for n in nodes]


@pytest.mark.parametrize("twice", [False, True])
@pytest.mark.parametrize("case", sorted(GRAPH_CASES))
def test_tensor_backward_agrees_with_the_reference(case, twice):
    specs, build = GRAPH_CASES[case]
    results = {}
    for build_path in PATHS:
        for run_path in PATHS:
            leaves = leaves_of(specs)
            with PATHS[build_path]():
                root = build(*leaves)
            seed = np.random.default_rng(3).standard_normal(root.shape)
            with PATHS[run_path]():
                for _ in range(2 if twice else 1):
                    root.backward(seed)
            nodes = autodiff.topological_order(root)
            results[build_path, run_path] = all_grads(nodes)
            for leaf in leaves:
                assert leaf.grad.shape == leaf.shape and leaf.grad.dtype == leaf.dtype, (leaf.label, leaf.grad.dtype)
            assert_no_two_gradients_share_memory(nodes)
    want = results["reference", "reference"]
    for key, got in results.items():
        assert got == want, key


def assert_no_two_gradients_share_memory(nodes):
    grads = [(n, n.grad) for n in nodes if n.grad is not None]
    for i, (n, g) in enumerate(grads):
        assert g.flags.writeable, n.label or n.op
        for m, h in grads[i + 1:]:
            assert not np.shares_memory(g, h), (n.label or n.op, m.label or m.op)
        for m in nodes:
            assert not np.shares_memory(g, m.data), (n.label or n.op, m.label or m.op)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_each_node_gets_its_own_gradient(path):
    with PATHS[path]():
        x = Tensor([1.0, 2.0], requires_grad=True, label="x")
        y = Tensor([3.0, 4.0], requires_grad=True, label="y")
        g = np.array([0.5, -1.0])
        s = x + y
        s.backward(g)
        assert x.grad is not y.grad and x.grad is not s.grad
        x.grad *= 0
        np.testing.assert_array_equal(y.grad, [0.5, -1.0])
        np.testing.assert_array_equal(s.grad, [0.5, -1.0])
        np.testing.assert_array_equal(g, [0.5, -1.0])  # the seed is copied too
        y.grad[0] = 7.0
        np.testing.assert_array_equal(s.grad, [0.5, -1.0])


TENSOR_UNARY = {
    "exp": lambda a: a.exp(), "tanh": lambda a: a.tanh(), "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(), "sin": lambda a: a.sin(), "cos": lambda a: a.cos(), "neg": lambda a: -a,
    "square": lambda a: a**2, "sum0": lambda a: a.sum(axis=0, keepdims=True) if a.ndim else a.sum(),
    "T": lambda a: a.T,
}
TENSOR_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": lambda a, b: a / (b * b + 1)}


@st.composite
def tensor_programs(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3))
    dtypes = draw(st.lists(st.sampled_from([np.float32, np.float64]), min_size=3, max_size=3))
    steps = draw(st.lists(
        st.one_of(
            st.tuples(st.just("unary"), st.sampled_from(sorted(TENSOR_UNARY)), st.integers(0, 10**6)),
            st.tuples(st.just("binary"), st.sampled_from(sorted(TENSOR_BINARY)), st.integers(0, 10**6),
                      st.integers(0, 10**6)),
        ),
        min_size=1, max_size=12,
    ))
    return list(zip(shapes.input_shapes, dtypes)), steps


def run_tensor_program(specs, steps):
    """The leaves and the root; a step whose operands do not broadcast (shapes change on the
    way) is left out, and its error compared with the reference's."""
    nodes = leaves_of(specs)
    errors = []
    for step in steps:
        if step[0] == "unary":
            nodes.append(TENSOR_UNARY[step[1]](nodes[step[2] % len(nodes)]))
            continue
        a, b = nodes[step[2] % len(nodes)], nodes[step[3] % len(nodes)]
        try:
            nodes.append(TENSOR_BINARY[step[1]](a, b))
        except ValueError as error:
            errors.append(str(error))
    root = nodes[-1]
    for node in nodes[-3:-1]:
        root = root * 0.5 + node.sum()
    return nodes[:3], root, errors


@GRAPHS
@given(tensor_programs())
def test_random_tensor_graphs_agree_with_the_reference(program):
    specs, steps = program
    results = {}
    for build_path in PATHS:
        for run_path in PATHS:
            with PATHS[build_path](), np.errstate(all="ignore"):
                leaves, root, errors = run_tensor_program(specs, steps)
            seed = np.random.default_rng(1).standard_normal(root.shape)
            with PATHS[run_path](), np.errstate(all="ignore"):
                root.backward(seed)
            nodes = autodiff.topological_order(root)
            data = [(n.data.tobytes(), n.dtype, n.shape) for n in nodes]
            results[build_path, run_path] = (errors, data, all_grads(nodes))
            for leaf in leaves:
                assert leaf.grad is None or (leaf.grad.shape == leaf.shape and leaf.grad.dtype == leaf.dtype)
            assert_no_two_gradients_share_memory(nodes)
    want = results["reference", "reference"]
    for key, got in results.items():
        assert got == want, key


def test_a_tensor_seed_with_a_graph_and_create_graph_go_through_the_reference_loop():
    def run():
        x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
        s = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * x).sin()
        y.backward(s * 1.0)  # a seed that is itself part of a graph
        (d,) = autodiff.grad(x.grad.sum(), [s])
        u = Tensor([0.5, -1.0, 2.0], requires_grad=True)
        autodiff.backward((u**3 * u.sin()).sum(), create_graph=True)
        (h,) = autodiff.grad(u.grad.sum(), [u])
        return d.data.tolist(), h.data.tolist()

    got, want = both(run)
    x = np.array([0.5, -1.0, 2.0])
    assert got == want
    np.testing.assert_allclose(want[0], 2 * x * np.cos(x * x), rtol=1e-14)
    np.testing.assert_allclose(want[1], 6 * x * np.sin(x) + 6 * x**2 * np.cos(x) - x**3 * np.sin(x), rtol=1e-13)


def test_backward_on_a_tensor_that_needs_no_gradient_says_why_on_both_paths():
    got, want = both(lambda: outcome(lambda: Tensor([1.0], label="c").exp().backward()))
    assert got == want and want[0] is RuntimeError and "does not require grad" in want[1]


def test_a_bad_seed_gives_the_same_error_on_both_paths():
    for seed in (np.ones(3), "a", np.ones((2, 2, 1)), Tensor(np.ones(4)), None):
        x = Tensor(np.ones((2, 2)), requires_grad=True, label="x")
        got, want = both(lambda: outcome(lambda: (x * 2).backward(seed)))
        assert got == want and issubclass(want[0], Exception), seed


def test_a_vjp_of_the_wrong_shape_is_refused_on_both_paths():
    forgot = TensorOp("forgot_to_sum", np.add, lambda g, out, needs, a, b: (g, g.sum(axis=1)))
    for path in PATHS.values():
        a, b = Tensor(np.ones((4, 3)), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
        with path(), pytest.raises(ValueError, match=r"'forgot_to_sum' gave input 1 a gradient of shape \(4,\)"):
            forgot(a, b).backward(np.ones((4, 3)))


# =========================================================================================
# The fused kernels against their reference compositions
# =========================================================================================


def fresh(*arrays):
    return [Tensor(a, requires_grad=True) for a in arrays]


TOL = {np.float64: dict(rtol=1e-12, atol=1e-13), np.float32: dict(rtol=2e-5, atol=2e-6)}


@pytest.mark.parametrize("dtypes", [(np.float64,) * 3, (np.float32,) * 3, (np.float32, np.float32, np.float64),
                                    (np.float64, np.float32, np.float32), (np.float32, np.float64, np.float32)],
                         ids=lambda d: "-".join(np.dtype(x).name for x in d))
@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4), (1, 4), (0, 4)], ids=str)
def test_linear_equals_matmul_plus_bias(x_shape, dtypes):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s).astype(d) for s, d in zip((x_shape, (4, 3), (3,)), dtypes)]
    g = rng.standard_normal(x_shape[:-1] + (3,))
    fused, plain = fresh(*arrays), fresh(*arrays)
    out = linear(*fused)
    want = plain[0] @ plain[1] + plain[2]
    assert out.op == "linear" and out.shape == want.shape and out.dtype == want.dtype
    tol = TOL[np.float32 if want.dtype == np.float32 else np.float64]
    np.testing.assert_allclose(out.data, want.data, **tol)
    out.backward(g)
    want.backward(g)
    for f, p in zip(fused, plain):  # float32 gradients: the composition rounds its upstream to float32 first
        assert f.grad.dtype == p.grad.dtype == p.dtype
        np.testing.assert_allclose(f.grad, p.grad, **TOL[p.dtype.type])


def test_linear_with_a_constant_batch_and_a_weight_that_needs_no_gradient():
    rng = np.random.default_rng(5)
    X, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    w, bb = Tensor(W), Tensor(b, requires_grad=True)
    linear(X, w, bb).sum().backward()
    assert w.grad is None
    np.testing.assert_allclose(bb.grad, [4.0, 4.0], rtol=1e-15)


def test_linear_second_derivatives_equal_the_composition():
    rng = np.random.default_rng(6)
    arrays = rng.standard_normal((2, 3, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)

    def second(f):
        x, w, b = fresh(*arrays)
        gx, gw, gb = autodiff.grad(f(x, w, b).tanh().sum(), [x, w, b], create_graph=True)
        return [h.data for h in autodiff.grad((gx * gx).sum() + (gw * gw).sum() + (gb * gb).sum(), [x, w, b])]

    for fused, plain in zip(second(linear), second(lambda x, w, b: x @ w + b)):
        np.testing.assert_allclose(fused, plain, rtol=1e-11, atol=1e-13)
        assert np.abs(plain).max() > 0.1  # a real second derivative, not zeros


def test_linear_shape_errors_name_the_shapes():
    x, w, b = Tensor(np.ones((2, 5)), label="x"), Tensor(np.ones((4, 3)), label="W"), Tensor(np.ones(3), label="b")
    with pytest.raises(ValueError, match=r"matmul of shapes \(2, 5\) and \(4, 3\): inner dimensions differ \(5 != 4\)"):
        linear(x, w, b)
    with pytest.raises(ValueError, match=r"bias of shape \(out,\), got \(4, 3\) \('W'\) and \(4,\)"):
        linear(Tensor(np.ones((2, 4))), w, Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"matmul needs at least 1-D operands"):
        linear(Tensor(np.array(1.0)), w, b)


def reference_cross_entropy(z, t, reduction):
    rows = -(t * z.log_softmax(-1)).sum(-1)
    return rows.mean() if reduction == "mean" else rows.sum() if reduction == "sum" else rows


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(5, 3), (4, 64), (3, 65), (6, 100), (3, 1000), (7,), (2, 3, 10), (2, 3, 70),
                                   (4, 1)], ids=str)
def test_softmax_cross_entropy_equals_the_composition(shape, reduction):
    rng = np.random.default_rng(shape[-1])
    Z = rng.standard_normal(shape) * 3
    T = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]) if len(shape) > 1 else rng.dirichlet(np.ones(shape[-1]))
    T[..., 0] += 0.5  # rows that do not sum to 1: the gradient's Σ_c t_c matters
    fused, plain = fresh(Z, T), fresh(Z, T)
    out = softmax_cross_entropy(*fused, reduction=reduction)
    want = reference_cross_entropy(plain[0], plain[1], reduction)
    assert out.shape == want.shape and out.dtype == want.dtype
    np.testing.assert_allclose(out.data, want.data, rtol=1e-12, atol=1e-13)
    g = rng.standard_normal(want.shape)
    out.backward(g)
    want.backward(g)
    for f, p in zip(fused, plain):
        np.testing.assert_allclose(f.grad, p.grad, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("classes", [4, 1000])
@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float32, np.float64), (np.float64, np.float32)],
                         ids=lambda d: "-".join(np.dtype(x).name for x in d))
def test_softmax_cross_entropy_keeps_the_dtypes_of_the_composition(classes, dtypes):
    rng = np.random.default_rng(9)
    Z = rng.standard_normal((3, classes)).astype(dtypes[0])
    T = np.eye(classes)[[0, 2, 1]].astype(dtypes[1])
    for reduction in ("mean", "none"):
        fused, plain = fresh(Z, T), fresh(Z, T)
        out = softmax_cross_entropy(*fused, reduction=reduction)
        want = reference_cross_entropy(plain[0], plain[1], reduction)
        assert out.dtype == want.dtype
        np.testing.assert_allclose(out.data, want.data, rtol=2e-6, atol=1e-6)
        out.backward(np.ones(out.shape))
        want.backward(np.ones(want.shape))
        for f, p in zip(fused, plain):
            assert f.grad.dtype == p.grad.dtype
            np.testing.assert_allclose(f.grad, p.grad, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("classes", [3, 100])
def test_softmax_cross_entropy_of_logits_of_plus_minus_1000_is_finite(classes):
    Z = np.where(np.arange(classes) % 2, 1000.0, -1000.0) * np.ones((4, 1))
    Z[1, 0] = 1000.0  # a row with the target class at the max
    T = np.eye(classes)[[0, 0, 1, classes - 1]]
    z = Tensor(Z, requires_grad=True)
    loss = softmax_cross_entropy(z, T, "none")
    loss.backward(np.ones(4))
    top = (Z[0] == 1000.0).sum()  # classes sharing the max in a row like row 0
    assert np.all(np.isfinite(loss.data)) and np.all(np.isfinite(z.grad))
    assert loss.data[0] == pytest.approx(2000.0 + math.log(top), rel=1e-12, abs=1e-12)
    assert loss.data[2] == pytest.approx(math.log(top), rel=1e-12, abs=1e-12)
    softmax = np.exp(Z - Z.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(z.grad, softmax - T, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("classes", [5, 100])
def test_softmax_cross_entropy_create_graph_equals_the_composition(classes):
    rng = np.random.default_rng(11)
    Z, T = rng.standard_normal((3, classes)), rng.dirichlet(np.ones(classes), size=3)

    def second(f):
        z, t = fresh(Z, T)
        gz, gt = autodiff.grad(f(z, t), [z, t], create_graph=True)
        return [h.data for h in autodiff.grad((gz * gz).sum() + (gt * gz).sum(), [z, t])]

    for fused, plain in zip(second(lambda z, t: softmax_cross_entropy(z.tanh(), t)),
                            second(lambda z, t: reference_cross_entropy(z.tanh(), t, "mean"))):
        np.testing.assert_allclose(fused, plain, rtol=1e-10, atol=1e-14)
        assert np.abs(plain).max() > 1e-3


def test_softmax_cross_entropy_of_no_rows_equals_the_composition():
    for reduction in ("mean", "sum", "none"):
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "mean of empty slice"
            fused, plain = fresh(np.zeros((0, 3)), np.zeros((0, 3))), fresh(np.zeros((0, 3)), np.zeros((0, 3)))
            out = softmax_cross_entropy(*fused, reduction=reduction)
            want = reference_cross_entropy(plain[0], plain[1], reduction)
        np.testing.assert_array_equal(out.data, want.data)  # the mean of no rows is nan


# -- the BLAS sums --------------------------------------------------------------------------


SUM_SHAPES = [(5, 3), (1, 1), (0, 3), (3, 0), (0, 0), (200, 7), (4, 64), (4, 65), (3, 1000)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SUM_SHAPES, ids=str)
def test_column_sums_equal_np_sum(shape, dtype):
    x = np.random.default_rng(12).standard_normal(shape).astype(dtype)
    got, want = fast._column_sums(x), np.sum(x, axis=0)
    assert got.shape == want.shape and got.dtype == want.dtype == dtype
    np.testing.assert_allclose(got, want, **TOL[dtype])
    transposed = np.ascontiguousarray(x.T).T  # a non-contiguous matrix: the same sums
    np.testing.assert_allclose(fast._column_sums(transposed), want, **TOL[dtype])


ROW_SUM_SHAPES = SUM_SHAPES + [(6,), (0,), (100,), (2, 3, 4), (2, 3, 70), (2, 0, 3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", ROW_SUM_SHAPES, ids=str)
def test_row_sums_equal_np_sum_keepdims(shape, dtype):
    x = np.random.default_rng(13).standard_normal(shape).astype(dtype)
    got, want = fast._row_sums(x), np.sum(x, axis=-1, keepdims=True)
    assert got.shape == want.shape and got.dtype == want.dtype == dtype
    np.testing.assert_allclose(got, want, **TOL[dtype])
    if x.ndim == 2:  # a non-contiguous matrix: the same sums
        np.testing.assert_allclose(fast._row_sums(np.asfortranarray(x)), want, **TOL[dtype])


ROW_MAX_SHAPES = [(64, 10), (32, 32), (33, 2), (31, 5), (64, 33), (5, 3), (1, 1), (7,), (2, 3, 10), (100, 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", ROW_MAX_SHAPES, ids=str)
def test_row_max_equals_np_max_keepdims(shape, dtype):
    x = np.random.default_rng(14).standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[::7] = np.inf
    flat[3::11] = -np.inf
    flat[5::13] = np.nan
    got, want = fast._row_max(x), np.max(x, axis=-1, keepdims=True)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)  # (nan where a row holds one, in both)
    if x.ndim == 2:  # a non-contiguous matrix: the same maxima
        np.testing.assert_array_equal(fast._row_max(np.asfortranarray(x)), want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", [(64, 784, 64), (64, 16, 10), (1, 3, 2), (0, 4, 3), (5, 0, 2), (200, 7, 300)], ids=str)
def test_the_linear_kernel_gives_the_numbers_of_matmul_bit_for_bit(sizes, dtype):
    """np.dot in place of @ for two matrices: the same products, not merely close ones."""
    rows, n_in, n_out = sizes
    rng = np.random.default_rng(15)
    x = rng.standard_normal((rows, n_in)).astype(dtype)
    w = np.asfortranarray(rng.standard_normal((n_in, n_out)).astype(dtype))  # a transposed layout too
    b = rng.standard_normal(n_out).astype(dtype)
    g = rng.standard_normal((rows, n_out)).astype(dtype)
    np.testing.assert_array_equal(fast._linear_forward(x, w, b), x @ w + b)
    dx, dw, db = fast._linear_vjp(g, None, (True, True, True), x, w, b)
    np.testing.assert_array_equal(dx, g @ w.T)
    np.testing.assert_array_equal(dw, x.T @ g)
    np.testing.assert_array_equal(db, np.ones(rows, dtype) @ g)
    np.testing.assert_array_equal(fast._row_sums(g), g @ np.ones((n_out, 1), dtype))


def test_keep_freed_memory_returns_whether_it_was_applied():
    assert autodiff.keep_freed_memory is fast.keep_freed_memory
    # glibc's own defaults (128 KiB each), so that the rest of the test run is not changed
    applied = fast.keep_freed_memory(trim_threshold=128 << 10, mmap_threshold=128 << 10)
    assert isinstance(applied, bool)
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert applied is glibc

"""A hypothesis sweep over autodiff's public entry points: every bad argument (a wrong type, a
bool where a number is wanted, nan or inf, an axis or shape that does not fit, a wrong length)
is refused with a TypeError or ValueError whose message names the argument, never an
AttributeError, a bare numpy error or a silent answer. Valid arguments still give the right
numbers (numpy and PyTorch as the oracles)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import strategies as st
from sweeping import BAD, NOT_NODES, NOT_NUMBERS, sweep_tests

import autodiff
from autodiff import Op, Tensor, TensorOp, Value, tensor_ops


def value() -> Value:
    return Value(0.5, "x")


def matrix(requires_grad: bool = True) -> Tensor:
    return Tensor(np.arange(6.0).reshape(2, 3) - 2.5, requires_grad=requires_grad, label="M")


def method(make, name: str):
    """``make().name(**arguments)``: a method on a fresh node."""
    return lambda **arguments: getattr(make(), name)(**arguments)


def scalar_graph():
    x = Value(1.5, "x")
    return (x * x).tanh(), x


OUT, X = scalar_graph()
CUBE = Op("cube", forward=lambda a: a**3, local=lambda a, out: (3 * a * a,))
TCUBE = TensorOp("cube", forward=lambda a: a**3, vjp=lambda g, out, needs, a: (3 * g * a * a,))
SUM_AXIS = tensor_ops.SUM  # a tensor op with keyword parameters

AXES_2D = [1.5, "0", 2, -3, True, np.bool_(False), [0], (0, 0), (0, 5), (1, "x"), 2.0, np.float64(0.0), object(), {}]
SLOPES = st.one_of(NOT_NUMBERS, st.sampled_from([math.nan, math.inf, -math.inf]))
NOT_APPROXIMATE = st.one_of(st.sampled_from([None, 0, "", "Tanh", "exact", "none ", [], True]),
                            st.text(max_size=4).filter(lambda s: s not in ("none", "tanh")))
BETAS = st.one_of(SLOPES, st.sampled_from([0, 0.0, -0.0]))
THRESHOLDS = st.one_of(NOT_NUMBERS, st.just(math.nan))
SEEDS = st.sampled_from(["x", -1, 1.5, [1.5], {}, True, object(), math.nan, 1j])
NOT_SHAPES = st.sampled_from([-1, (2, -1), (2.5,), "x", (True, 2), [(2,), (3,)], 1j, {}, object()])
NOT_DOMAINS = st.sampled_from([(1, 0), (0, 0), (0, math.nan), (-math.inf, 1), "ab", None, 3, (0, 1, 2), (True, 2),
                               ("0", "1"), [], {}])
EXPONENTS_V = st.sampled_from(["2", None, [2.0], 1j, True, False, np.bool_(True), object(), {}])
EXPONENTS_T = st.sampled_from(["2", None, 1j, [1j], object(), {}, b"2"])
NOT_ERRORS = st.sampled_from([ValueError("x"), "ValueError", int, None, 3, object, BaseException])
NOT_SYMBOLS = st.sampled_from([0, 1.5, True, [], ["+"], {}, object(), b"+"])
NOT_ARITIES = st.sampled_from([-1, 1.5, "1", True, [], math.nan, 1j])

def activations(kind: str, make) -> dict:
    """The activations with a parameter, the same on a Value and a Tensor (``make()`` one)."""
    return {
        f"{kind}.leaky_relu": dict(call=method(make, "leaky_relu"), valid=dict(negative_slope=0.1),
                                   kinds=dict(negative_slope=SLOPES)),
        f"{kind}.elu": dict(call=method(make, "elu"), valid=dict(alpha=1.0), kinds=dict(alpha=SLOPES)),
        f"{kind}.gelu": dict(call=method(make, "gelu"), valid=dict(approximate="tanh"),
                             kinds=dict(approximate=NOT_APPROXIMATE)),
        f"{kind}.softplus": dict(call=method(make, "softplus"), valid=dict(beta=2.0, threshold=20.0),
                                 kinds=dict(beta=BETAS, threshold=THRESHOLDS)),
    }


ENTRY_POINTS = {
    # -- Value ------------------------------------------------------------------------------------
    "Value": dict(call=Value, valid=dict(data=1.5, label="x"), kinds=dict(data="real", label="text")),
    **activations("Value", value),
    "Value.__pow__": dict(call=lambda exponent: value() ** exponent, valid=dict(exponent=2),
                          kinds=dict(exponent=EXPONENTS_V)),
    "Value.backward": dict(call=lambda grad: (value() * 2).backward(grad), valid=dict(grad=1.0),
                           kinds=dict(grad=st.sampled_from(["1", [], [1.0], {}, True, 1j, object(), np.ones(2)]))),
    # -- Tensor -----------------------------------------------------------------------------------
    "Tensor": dict(call=Tensor, valid=dict(data=[[1.0, 2.0]], requires_grad=True, label="t"),
                   kinds=dict(data=st.sampled_from([None, "x", "", [[1], [1, 2]], {}, object(), 1j, [1j],
                                                    np.array(["a"]), [None], [[1.0], "x"]]),
                              requires_grad="flag", label="text")),
    **{f"Tensor.{name}": dict(call=method(matrix, name), valid=dict(axis=(0, 1), keepdims=True),
                             kinds=dict(axis=AXES_2D, keepdims="flag"))
       for name in ("sum", "mean", "max", "logsumexp")},
    **{f"Tensor.{name}": dict(call=method(matrix, name), valid=dict(axis=0), kinds=dict(axis=AXES_2D))
       for name in ("softmax", "log_softmax")},
    "Tensor.reshape": dict(call=lambda shape: matrix().reshape(shape), valid=dict(shape=(3, -1)),
                           kinds=dict(shape=st.sampled_from([(4,), (2.0, 3), ("2", 3), (True, 6), (-2, -3), None, "6",
                                                             2.5, [[2, 3]], (-1, -1), (7,), {}, (np.float64(6),)]))),
    "Tensor.transpose": dict(call=lambda axes: matrix().transpose(*axes), valid=dict(axes=(1, 0)),
                             kinds=dict(axes=st.sampled_from([(0, 0), (0, 2), (0.0, 1), (True, 0), ("0", 1), (0,),
                                                              (0, 1, 2), (None, 1)]))),
    "Tensor.__getitem__": dict(call=lambda index: matrix()[index], valid=dict(index=(slice(None), [0, 2])),
                               also=(IndexError,),
                               kinds=dict(index=st.sampled_from([5, -5, 1.5, "0", (0, 0, 0), [5], np.array([0.5]),
                                                                 Tensor([0.5]), {}, object(), (slice(None), 7),
                                                                 np.array([True, False, True]), 1j, [[0], "a"]]))),
    **activations("Tensor", matrix),
    "Tensor.__pow__": dict(call=lambda exponent: matrix() ** exponent, valid=dict(exponent=2),
                           kinds=dict(exponent=EXPONENTS_T)),
    "Tensor.backward": dict(call=lambda grad: (matrix() * 2).backward(grad), valid=dict(grad=np.ones((2, 3))),
                            kinds=dict(grad=st.sampled_from(["x", np.ones(3), np.ones((3, 2)), [[1.0]], 1j, object(),
                                                             {}, [["a", "b", "c"]] * 2]))),
    # -- functions --------------------------------------------------------------------------------
    "concatenate": dict(call=autodiff.concatenate, valid=dict(tensors=[matrix(), matrix()], axis=1),
                        kinds=dict(tensors=st.sampled_from([3, None, "ab", matrix(), [], [1.0, 2.0],
                                                            [matrix(), "x"], [matrix(), Tensor(np.ones(4))], {}]),
                                   axis=st.sampled_from([0.5, "0", 2, -3, True, None, [0], object()]))),
    "stack": dict(call=autodiff.stack, valid=dict(tensors=[matrix(), matrix()], axis=-1),
                  kinds=dict(tensors=st.sampled_from([3, None, "ab", matrix(), [], [1.0, 2.0], [matrix(), "x"],
                                                      [matrix(), Tensor(np.ones(4))], {}]),
                             axis=st.sampled_from([0.5, "0", 3, -4, True, None, [0], object()]))),
    "grad": dict(call=autodiff.grad, valid=dict(output=OUT, inputs=[X], create_graph=False),
                 kinds=dict(output=NOT_NODES, create_graph="flag",
                            inputs=st.sampled_from([None, 3, "x", [], [3.0], [X, "y"], [X, None], {}, object()]))),
    "backward": dict(call=autodiff.backward, valid=dict(root=scalar_graph()[0], grad=1.0, create_graph=False),
                     kinds=dict(root=NOT_NODES, create_graph="flag",
                                grad=st.sampled_from(["1", [], True, 1j, object()]))),
    "backward_steps": dict(call=lambda **a: list(autodiff.backward_steps(**a)),
                           valid=dict(output=scalar_graph()[0], grad=None, create_graph=False),
                           kinds=dict(output=NOT_NODES, create_graph="flag",
                                      grad=st.sampled_from(["1", [], True, 1j, object()]))),
    "topological_order": dict(call=autodiff.topological_order, valid=dict(output=OUT), kinds=dict(output=NOT_NODES)),
    "gradcheck": dict(call=autodiff.gradcheck,
                      valid=dict(fn=lambda x: (x * x).tanh(), inputs=[Value(0.3)], eps=1e-6, atol=1e-5, rtol=1e-3),
                      kinds=dict(fn="callable", eps="positive", atol="nonneg", rtol="nonneg",
                                 inputs=st.sampled_from([None, 3, "x", [], [3.0], [Value(0.3), None], {}, object(),
                                                         Value(0.3)]))),
    "check_op": dict(call=autodiff.check_op,
                     valid=dict(op=CUBE, domain=(-2, 2), n=5, seed=0, eps=1e-6, atol=1e-5, rtol=1e-3,
                                raise_on_failure=True),
                     kinds=dict(op=st.one_of(NOT_NODES, st.just(lambda a: a)), domain=NOT_DOMAINS, n="count",
                                seed=SEEDS, eps="positive", atol="nonneg", rtol="nonneg", raise_on_failure="flag")),
    "check_op(TensorOp)": dict(call=autodiff.check_op,
                               valid=dict(op=SUM_AXIS, n=3, shape=(2, 3), params=dict(axis=0, keepdims=False)),
                               kinds=dict(shape=NOT_SHAPES,
                                          params=st.sampled_from(["x", [1], 3, [("axis", 0), 1], object()]))),
    "Op": dict(call=Op, valid=dict(name="cube", forward=lambda a: a**3, local=lambda a, out: (3 * a * a,),
                                   check=lambda a: None, error=ValueError, symbol="^", notation="{0}^3", arity=1),
               kinds=dict(name=st.one_of(BAD["text"], st.just("")), forward="callable", local="callable",
                          check=st.sampled_from([0, 1.5, "f", "", [], True, np.ones(2)]), error=NOT_ERRORS,
                          symbol=NOT_SYMBOLS, notation=NOT_SYMBOLS, arity=NOT_ARITIES)),
    "TensorOp": dict(call=TensorOp,
                     valid=dict(name="cube", forward=lambda a: a**3, vjp=lambda g, out, needs, a: (3 * g * a * a,),
                                check=lambda a: None, saves=False, symbol="^", notation="{0}^3", arity=1),
                     kinds=dict(name=st.one_of(BAD["text"], st.just("")), forward="callable", vjp="callable",
                                check=st.sampled_from([0, 1.5, "f", "", [], True, np.ones(2)]), saves="flag",
                                symbol=NOT_SYMBOLS, notation=NOT_SYMBOLS, arity=NOT_ARITIES)),
    "linear": dict(call=autodiff.linear,
                   valid=dict(x=np.ones((4, 2)), weight=Tensor(np.ones((2, 3)), requires_grad=True),
                              bias=Tensor(np.zeros(3), requires_grad=True)),
                   kinds=dict(x=st.sampled_from(["x", None, {}, object(), np.ones((4, 5)), 1j, np.array(["a"])]),
                              weight=st.one_of(NOT_NODES, st.just(Tensor(np.ones((3, 3)))), st.just(Tensor(np.ones(2)))),
                              bias=st.one_of(st.sampled_from([0, 1.5, "x", [], {}, True, object()]),
                                             st.just(Tensor(np.ones(2)))))),
    "softmax_cross_entropy": dict(call=autodiff.softmax_cross_entropy,
                                  valid=dict(logits=matrix(), target=np.eye(3)[[0, 2]], reduction="sum"),
                                  kinds=dict(logits=st.one_of(NOT_NODES, st.just(Tensor(np.ones((2, 4))))),
                                             target=st.sampled_from(["x", None, np.ones((2, 4)), object(), {}, 1j]),
                                             reduction=st.sampled_from([None, "avg", 1, "", []]))),
    "keep_freed_memory": dict(call=autodiff.keep_freed_memory,
                              valid=dict(trim_threshold=512 << 20, mmap_threshold=32 << 20),
                              kinds=dict(trim_threshold="index", mmap_threshold="index")),
}
(
    test_each_entry_point_works_on_its_valid_arguments,
    test_bad_arguments_raise_type_or_value_errors_naming_the_argument,
    test_every_argument_is_swept,
) = sweep_tests(ENTRY_POINTS, max_examples=1500)


# -- what the checks let through still gives the right numbers ------------------------------------

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed: pip install torch==2.13.0")


@pytest.mark.parametrize("slope", [0.1, -0.2, 0, 2])  # PyTorch takes any finite slope, ints too
def test_leaky_relu_elu_and_softplus_take_what_pytorch_takes(slope):
    x = np.array([-1.5, -0.25, 0.75])
    tx = torch.tensor(x)
    t = Tensor(x)
    np.testing.assert_allclose(t.leaky_relu(slope).data, torch.nn.functional.leaky_relu(tx, slope).numpy())
    np.testing.assert_allclose(t.elu(slope).data, torch.nn.functional.elu(tx, slope).numpy())
    assert Value(-1.5).leaky_relu(slope).data == pytest.approx(-1.5 * slope)
    assert Value(-1.5).elu(slope).data == pytest.approx(slope * math.expm1(-1.5))
    beta = slope if slope else 1.0
    expected = torch.nn.functional.softplus(tx, beta=beta, threshold=math.inf).numpy()
    np.testing.assert_allclose(t.softplus(beta, threshold=math.inf).data, expected)
    assert Value(0.75).softplus(beta, math.inf).data == pytest.approx(expected[2])


def test_keepdims_takes_numpy_bools_and_reductions_match_numpy():
    x = np.arange(6.0).reshape(2, 3)
    t = Tensor(x)
    assert t.sum(axis=(0, 1), keepdims=np.bool_(True)).shape == (1, 1)
    np.testing.assert_allclose(t.mean(axis=1, keepdims=True).data, x.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(t.max(axis=0, keepdims=False).data, x.max(axis=0))


def test_concatenate_and_stack_take_any_sequence_of_tensors():
    a, b = np.ones((2, 3)), np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(autodiff.concatenate((Tensor(a), Tensor(b)), axis=-1).data,
                                  np.concatenate([a, b], axis=-1))
    np.testing.assert_array_equal(autodiff.stack(Tensor(m) for m in (a, b)).data, np.stack([a, b]))
    np.testing.assert_array_equal(autodiff.stack([Tensor(a), Tensor(b)], axis=np.int64(2)).data, np.stack([a, b], 2))


def test_powers_of_numbers_lists_and_values_still_work():
    x = Value(3.0)
    assert (x**2).data == 9.0 and (x ** np.float64(0.5)).data == pytest.approx(math.sqrt(3))
    assert (x ** Value(2.0)).data == 9.0
    np.testing.assert_allclose((Tensor([4.0, 9.0]) ** [0.5, 1]).data, [2.0, 9.0])
    np.testing.assert_allclose((Tensor([4.0, 9.0]) ** True).data, [4.0, 9.0])  # the tensor engine is numpy's


def test_grad_takes_one_input_or_a_sequence_and_gives_the_derivative():
    x = Value(0.5)
    y = (x * x).tanh()
    expected = 2 * 0.5 * (1 - math.tanh(0.25) ** 2)
    assert autodiff.grad(y, x)[0].data == pytest.approx(expected)
    assert autodiff.grad(y, (x,), create_graph=np.bool_(False))[0].data == pytest.approx(expected)
    assert [s.node.op for s in autodiff.backward_steps(y)] == ["tanh", "*"]
    assert autodiff.topological_order(y)[-1] is y


def test_gradcheck_and_check_op_with_their_arguments_checked():
    assert autodiff.gradcheck(lambda a, b: (a * b).sum(), (Tensor(np.ones(3), requires_grad=True),
                                                         Tensor(np.arange(3.0), requires_grad=True)))
    report = autodiff.check_op(tensor_ops.MUL, shape=[[2, 3], (3,)], n=4, seed=np.int64(1))
    assert report.passed and report.checked == 4
    report = autodiff.check_op(CUBE, domain=[-1, 2], n=6, seed=None, atol=0, rtol=1e-3)
    assert report.checked == 6


def test_check_op_of_a_reduction_over_axis_0_copes_with_0d_inputs():
    """check_op draws 0-d inputs among its random shapes; numpy reduces a 0-d array over axis 0,
    and the vjp used to divide by its number of axes (ZeroDivisionError)."""
    report = autodiff.check_op(tensor_ops.SUM, n=40, params=dict(axis=0, keepdims=False))
    assert report.passed and report.checked == 40


def test_linear_and_softmax_cross_entropy_take_arrays_as_constants():
    x, w, b = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]), np.array([0.1, 0.2, 0.3])
    out = autodiff.linear(x.tolist(), Tensor(w), Tensor(b))
    np.testing.assert_allclose(out.data, x @ w + b)
    logits, target = np.array([[2.0, -1.0, 0.5]]), np.array([[0.0, 0.0, 1.0]])
    loss = autodiff.softmax_cross_entropy(logits, target.tolist())
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([2]))
    assert loss.item() == pytest.approx(expected.item())


def test_sequential_style_message_for_tensors_names_the_position():
    with pytest.raises(TypeError, match=r"^stack: tensors\[1\] must be a Tensor, got ndarray$"):
        autodiff.stack([Tensor(np.ones(2)), np.ones(2)])
    with pytest.raises(TypeError, match="concatenate: tensors must be a list or tuple of Tensors, got Tensor"):
        autodiff.concatenate(Tensor(np.ones((2, 2))))

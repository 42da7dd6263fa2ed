"""Bad input the engine used to take quietly, each refused now with an error naming it
(PyTorch and numpy as the oracles of what is refused)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autodiff
from autodiff import Tensor, Value, grad, no_grad, scalar

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed: pip install torch==2.13.0")


@pytest.mark.parametrize("axes", [(0, 3), (2, 0), (0, -3)])
def test_transpose_with_an_axis_out_of_range_is_refused_as_numpy_refuses_it(axes):
    with pytest.raises(np.exceptions.AxisError):
        np.ones((2, 3)).transpose(*axes)
    with pytest.raises(ValueError, match=r"transpose: axis -?\d is out of range for a tensor of shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).transpose(*axes)


def test_transpose_axes_must_be_a_permutation_of_whole_numbers():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.transpose(-1, -2).data, x.data.T)
    with pytest.raises(ValueError, match=r"axes \(0, 0\) are not a permutation"):
        x.transpose(0, 0)
    with pytest.raises(TypeError, match=r"axes must be whole numbers, got 0.0 \(float\)"):
        x.transpose(0.0, 1)
    with pytest.raises(TypeError, match=r"got True \(bool\)"):
        x.transpose(True, 0)


def test_transpose_of_a_0d_tensor():
    z = Tensor(np.array(2.0))
    assert z.transpose().data == 2.0 and z.T.shape == ()
    with pytest.raises(ValueError, match=r"axis 0 is out of range for a tensor of shape \(\)"):
        z.transpose(0)


def test_grad_for_an_input_that_does_not_require_grad_raises_as_torch_does():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tx = torch.ones(3, dtype=torch.float64)
        torch.autograd.grad((tx * tx).sum(), [tx])
    x = Tensor(np.ones(3), label="x")
    with pytest.raises(RuntimeError, match="grad: input 0 'x' does not require grad"):
        grad((x * x).sum(), [x])


def test_grad_of_a_result_computed_under_no_grad_raises_as_torch_does():
    tx = torch.ones(3, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        tout = (tx * tx).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad(tout, [tx])
    x = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        out = (x * x).sum()
    with pytest.raises(RuntimeError, match="the output does not require grad: it was computed under no_grad"):
        grad(out, [x])


def test_a_bool_is_not_a_value():
    with pytest.raises(TypeError, match="Value\\(data=\\.\\.\\.\\) needs a real number .*got a bool: True"):
        Value(True)
    with pytest.raises(TypeError, match="got a bool"):
        Value(1.0) + True
    with pytest.raises(TypeError, match="for \\+: 'Value' and 'bool'"):
        Value(1.0) + np.bool_(False)
    assert Value(1).data == 1.0  # ints are numbers


@pytest.mark.parametrize("flag", ["False", 1, None])
def test_requires_grad_must_be_a_bool(flag):
    with pytest.raises(TypeError, match=f"requires_grad must be True or False, got {type(flag).__name__}"):
        Tensor(np.ones(2), requires_grad=flag)
    assert Tensor(np.ones(2), requires_grad=np.bool_(True)).requires_grad is True


def live_ops() -> int:
    gc.collect()
    return sum(type(o) is autodiff.Op for o in gc.get_objects())  # type(), not isinstance: no __class__ lookups


def test_the_ops_made_for_parameters_are_kept_in_a_bounded_cache():
    x = Value(1.5)
    assert (x**2.0).primitive is (x**2.0).primitive  # made once for an exponent, then reused
    assert x.leaky_relu(0.2).primitive is x.leaky_relu(0.2).primitive
    before = live_ops()
    for c in np.linspace(0.5, 3.0, 5 * scalar.OP_CACHE_SIZE):
        c = float(c)
        x**c, x.leaky_relu(c), x.elu(c), x.softplus(beta=c)
    for _ in range(3 * scalar.OP_CACHE_SIZE):
        x ** float("nan")  # nan != nan: every call a new key
    # four kinds of op made for a parameter (x ** c, leaky_relu, elu, softplus), each cache bounded
    assert live_ops() - before <= 4 * scalar.OP_CACHE_SIZE
    assert (x**2.0).data == 2.25  # and the ops still work

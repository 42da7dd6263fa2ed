"""nn refuses what it would answer wrongly or with a bare numpy error: integer dtypes for
layers, NaN or out-of-range settings, hostile state files, and junk arguments to the public
constructors and functions (each refused with a TypeError or ValueError naming the argument)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autodiff import Tensor

# -- dtypes: a layer's numbers are floats ------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int64, "int32", np.uint8, bool, np.complex128, object])
@pytest.mark.parametrize("make", [
    lambda dtype: nn.Linear(2, 3, dtype=dtype),
    lambda dtype: nn.DropConnect(2, 3, dtype=dtype),
    lambda dtype: nn.BatchNorm1d(2, dtype=dtype),
], ids=["Linear", "DropConnect", "BatchNorm1d"])
def test_layers_refuse_a_dtype_that_is_not_floating_point(make, dtype):
    with pytest.raises(TypeError, match=rf"dtype must be a floating-point.*got {np.dtype(dtype).name}"):
        make(dtype)


def test_float32_layers_stay_float32_and_their_running_statistics_are_not_truncated():
    layer = nn.Linear(2, 3, rng=0, dtype=np.float32)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    norm = nn.BatchNorm1d(2, momentum=0.5, dtype=np.float32)
    norm(np.array([[0.0, 1.0], [1.0, 2.0]], dtype=np.float32))
    # running_mean = 0.5·0 + 0.5·(0.5, 1.5); running_var = 0.5·1 + 0.5·(0.5·2/1) (unbiased)
    np.testing.assert_allclose(norm.running_mean, [0.25, 0.75])
    np.testing.assert_allclose(norm.running_var, [0.75, 0.75])
    assert norm.running_mean.dtype == np.float32


# -- settings that are NaN, infinite or out of range ----------------------------------------------------


@pytest.mark.parametrize("penalty", [nn.l1_penalty, nn.l2_penalty], ids=["l1", "l2"])
@pytest.mark.parametrize("lam", [math.nan, math.inf, -math.inf, -0.1])
def test_penalties_refuse_a_lambda_that_is_nan_infinite_or_negative(penalty, lam):
    with pytest.raises(ValueError, match=rf"{penalty.__name__}: lam must be"):
        penalty(nn.Linear(2, 2, rng=0), lam=lam)


@pytest.mark.parametrize("penalty", [nn.l1_penalty, nn.l2_penalty], ids=["l1", "l2"])
def test_penalties_refuse_a_lambda_that_is_not_a_number(penalty):
    with pytest.raises(TypeError, match="lam must be a real number"):
        penalty(nn.Linear(2, 2, rng=0), lam="0.1")


def test_penalties_still_compute_the_slides_numbers():
    layer = nn.Linear(2, 1, rng=0)
    layer.weight.data[...] = [[3.0], [-4.0]]
    assert nn.l2_penalty(layer, 0.1).item() == pytest.approx(0.5 * 0.1 * 25.0)
    assert nn.l1_penalty(layer, 0.1).item() == pytest.approx(0.1 * 7.0)


@pytest.mark.parametrize("settings, message", [
    ({"eps": math.inf}, "eps must be a finite number"),
    ({"eps": math.nan}, "eps must be a finite number"),
    ({"eps": 0.0}, "eps must be > 0"),
    ({"eps": -1e-5}, "eps must be > 0"),
    ({"momentum": math.nan}, "momentum must be a finite number"),
    ({"momentum": 1.5}, r"momentum must be in \[0.0, 1.0\]"),
    ({"momentum": -0.1}, r"momentum must be in \[0.0, 1.0\]"),
])
def test_batchnorm_refuses_eps_and_momentum_out_of_range(settings, message):
    with pytest.raises(ValueError, match=f"BatchNorm1d: {message}"):
        nn.BatchNorm1d(2, **settings)


@pytest.mark.parametrize("settings", [{"eps": "1e-5"}, {"momentum": None}, {"eps": True}])
def test_batchnorm_refuses_settings_that_are_not_numbers(settings):
    (name,) = settings
    with pytest.raises(TypeError, match=f"BatchNorm1d: {name} must be a real number"):
        nn.BatchNorm1d(2, **settings)

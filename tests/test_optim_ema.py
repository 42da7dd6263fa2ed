"""optim.EMA: the exponentially weighted average of the slides on a London-temperature-like series."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optim import EMA


def temperatures(days=365, seed=0):
    """A year of daily temperatures (°F): a seasonal wave plus day-to-day noise,
    starting with the slide's first three days, 40, 49 and 45."""
    rng = np.random.default_rng(seed)
    day = np.arange(days)
    series = 50 - 15 * np.cos(2 * np.pi * (day - 15) / 365) + rng.normal(0, 4, days)
    series[:3] = [40.0, 49.0, 45.0]
    return series


def test_the_slides_first_days():
    # v_1 = 0.9·0 + 0.1·40 = 4; v_2 = 0.9·4 + 0.1·49 = 8.5; v_3 = 0.9·8.5 + 0.1·45 = 12.15
    raw = EMA(0.9, bias_correction=False).smooth([40.0, 49.0, 45.0])
    np.testing.assert_allclose(raw, [4.0, 8.5, 12.15], rtol=1e-15)
    corrected = EMA(0.9).smooth([40.0, 49.0, 45.0])
    np.testing.assert_allclose(corrected, [40.0, 8.5 / 0.19, 12.15 / 0.271], rtol=1e-15)


@pytest.mark.parametrize("beta", [0.9, 0.98])
def test_the_average_is_the_weighted_sum_of_the_past(beta):
    x = temperatures()
    smoothed = EMA(beta, bias_correction=False).smooth(x)
    for t in (1, 10, 100, 365):  # v_t = (1 - β) Σ_τ β^(t-τ) x_τ
        weights = (1 - beta) * beta ** np.arange(t - 1, -1, -1)
        assert smoothed[t - 1] == pytest.approx(float(weights @ x[:t]), rel=1e-12)
    corrected = EMA(beta).smooth(x)
    np.testing.assert_allclose(corrected, smoothed / (1 - beta ** np.arange(1, 366)), rtol=1e-13)


@pytest.mark.parametrize("beta, days", [(0.9, 10), (0.98, 50)])
def test_beta_sets_a_window_of_about_one_over_one_minus_beta_days(beta, days):
    ema = EMA(beta)
    assert ema.window == pytest.approx(days)
    # the weights fall to about 1/e after that many days, and those days carry about 63% of the weight
    assert beta**days == pytest.approx(1 / math.e, abs=0.02)
    recent = (1 - beta) * sum(beta**k for k in range(days))
    assert recent == pytest.approx(1 - 1 / math.e, abs=0.02)


def test_larger_beta_is_smoother_and_lags_more():
    x = temperatures()
    curves = {beta: EMA(beta).smooth(x) for beta in (0.5, 0.9, 0.98)}
    roughness = {beta: float(np.std(np.diff(curve[60:]))) for beta, curve in curves.items()}
    assert roughness[0.98] < roughness[0.9] < roughness[0.5] < float(np.std(np.diff(x[60:])))

    # on the pure seasonal wave, the average peaks late by the phase of (1 - β)/(1 - β e^{-iω}) over ω,
    # close to β/(1 - β) days (9 for 0.9) while that is short next to the year (not for 0.98: 40, not 49)
    omega = 2 * np.pi / 365
    wave = 50 - 15 * np.cos(omega * (np.arange(3 * 365) - 15))
    summer = 365 + 15 + 365 // 2  # the wave's peak in the second year
    for beta, days in ((0.9, 8.9), (0.98, 40.5)):
        expected = math.atan2(beta * math.sin(omega), 1 - beta * math.cos(omega)) / omega
        assert expected == pytest.approx(days, abs=0.05)
        lag = int(np.argmax(EMA(beta).smooth(wave)[365:730])) + 365 - summer
        assert abs(lag - expected) <= 1, (beta, lag, expected)


def test_without_bias_correction_the_start_is_pulled_to_zero():
    x = temperatures()
    raw = EMA(0.98, bias_correction=False).smooth(x)
    corrected = EMA(0.98).smooth(x)
    assert raw[0] == pytest.approx(0.8) and corrected[0] == 40.0
    assert raw[9] < 0.2 * x[:10].mean()  # ten days in, still far below the temperatures
    assert abs(corrected[9] - x[:10].mean()) < 5
    assert raw[-1] == pytest.approx(corrected[-1], rel=1e-3)  # the correction fades: 0.98^365 = 0.0006


def test_update_value_and_arrays():
    ema = EMA(0.5)
    assert ema.value == 0.0 and ema.t == 0
    assert ema.update(np.array([2.0, 4.0])).tolist() == [2.0, 4.0]
    assert ema.update(np.array([4.0, 0.0])).tolist() == pytest.approx([(0.5 + 2) / 0.75, 1.0 / 0.75])
    assert ema.t == 2 and "beta=0.5" in repr(ema)


@pytest.mark.parametrize("beta", [1.0, -0.1, 2, "0.9", None, True])
def test_beta_must_be_in_0_1(beta):
    with pytest.raises(ValueError, match=r"EMA: beta must be a number in \[0, 1\)"):
        EMA(beta)


def test_bias_correction_must_be_a_flag():
    with pytest.raises(TypeError, match="bias_correction must be True or False"):
        EMA(0.9, bias_correction="yes")


def test_a_value_of_another_shape_is_refused_naming_both_shapes():
    # numpy would broadcast a number over the average of arrays (or fail with a bare error)
    ema = EMA(0.9)
    ema.update([1.0, 2.0])
    for x, shape in ((3.0, r"\(\)"), ([1.0, 2.0, 3.0], r"\(3,\)")):
        message = rf"EMA.update: x has shape {shape} but the values averaged so far have shape \(2,\)"
        with pytest.raises(ValueError, match=message):
            ema.update(x)
    assert ema.t == 1
    expected = (0.09 * np.array([1.0, 2.0]) + 0.1 * np.array([3.0, 4.0])) / 0.19
    np.testing.assert_allclose(ema.update([3.0, 4.0]), expected)

"""Learning-rate schedules: PyTorch's lr_scheduler as the oracle, each slide formula (step,
inverse time, cosine, warmup, cyclic, SGDR, ...) written out again here, optimizers driven by
a schedule, and bad arguments."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import optim
from optim import schedules as S

STEPS = 200


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is the schedules' oracle: pip install torch==2.13.0")


def torch_lrs(torch, make_scheduler, lr, steps=STEPS, steps_per_epoch=1):
    """The lr of update k = 0 .. steps-1 under a torch scheduler (``get_last_lr`` before update
    k), stepping the scheduler after every ``steps_per_epoch`` updates."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    scheduler = make_scheduler(opt, torch.optim.lr_scheduler)
    lrs = []
    for k in range(steps):
        lrs.append(scheduler.get_last_lr()[0])
        opt.step()
        if (k + 1) % steps_per_epoch == 0:
            scheduler.step()
    return np.array(lrs)


def ours(schedule, steps=STEPS):
    return np.array([schedule(t) for t in range(steps)])


# (id, our schedule, the optimizer's lr for torch, torch's scheduler)
PARITY = [
    (
        "StepLR",
        S.step_decay(0.1, step_size=7, gamma=0.5),
        0.1,
        lambda o, L: L.StepLR(o, step_size=7, gamma=0.5),
    ),
    (
        "MultiStepLR",
        S.multistep_decay(0.1, milestones=[30, 80, 150], gamma=0.3),
        0.1,
        lambda o, L: L.MultiStepLR(o, milestones=[30, 80, 150], gamma=0.3),
    ),
    ("ExponentialLR", S.exponential_decay(0.1, gamma=0.98), 0.1, lambda o, L: L.ExponentialLR(o, gamma=0.98)),
    (
        "CosineAnnealingLR",
        S.cosine_decay(0.1, total_steps=STEPS, lr_min=0.001),
        0.1,
        lambda o, L: L.CosineAnnealingLR(o, T_max=STEPS, eta_min=0.001),
    ),
    (
        "LinearLR",
        S.linear_decay(0.1, total_steps=150, lr_end=0.01),
        0.1,
        lambda o, L: L.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=150),
    ),
    (
        "CyclicLR triangular",
        S.cyclic(0.01, 0.1, step_size=15),
        0.05,
        lambda o, L: L.CyclicLR(o, 0.01, 0.1, step_size_up=15, cycle_momentum=False),
    ),
    (
        "CyclicLR triangular2",
        S.cyclic(0.01, 0.1, step_size=15, mode="triangular2"),
        0.05,
        lambda o, L: L.CyclicLR(o, 0.01, 0.1, step_size_up=15, mode="triangular2", cycle_momentum=False),
    ),
    (
        "CyclicLR exp_range",
        S.cyclic(0.01, 0.1, step_size=15, mode="exp_range", gamma=0.99),
        0.05,
        lambda o, L: L.CyclicLR(
            o, 0.01, 0.1, step_size_up=15, mode="exp_range", gamma=0.99, cycle_momentum=False
        ),
    ),
    (
        "CosineAnnealingWarmRestarts T_mult=1",
        S.sgdr(0.1, T_0=17, lr_min=0.002),
        0.1,
        lambda o, L: L.CosineAnnealingWarmRestarts(o, T_0=17, eta_min=0.002),
    ),
    (
        "CosineAnnealingWarmRestarts T_mult=2",
        S.sgdr(0.1, T_0=10, T_mult=2, lr_min=0.001),
        0.1,
        lambda o, L: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001),
    ),
    (
        "LinearLR warmup then CosineAnnealingLR (SequentialLR)",
        S.warmup(S.cosine_decay(0.1, total_steps=180), warmup_steps=20),
        0.1,
        lambda o, L: L.SequentialLR(
            o,
            [L.LinearLR(o, start_factor=1 / 21, total_iters=20), L.CosineAnnealingLR(o, T_max=180)],
            milestones=[20],
        ),
    ),
    (
        "SequentialLR StepLR then ExponentialLR",
        S.sequence([(S.step_decay(0.1, 10, gamma=0.5), 50), (S.exponential_decay(0.1, 0.97), None)]),
        0.1,
        lambda o, L: L.SequentialLR(
            o, [L.StepLR(o, 10, gamma=0.5), L.ExponentialLR(o, 0.97)], milestones=[50]
        ),
    ),
]


@pytest.mark.parametrize("schedule, lr, make", [c[1:] for c in PARITY], ids=[c[0] for c in PARITY])
def test_same_lr_as_torch_for_200_steps(torch, schedule, lr, make):
    np.testing.assert_allclose(ours(schedule), torch_lrs(torch, make, lr), rtol=0, atol=1e-12)


def test_per_epoch_is_a_torch_scheduler_stepped_once_per_epoch(torch):
    # the slides' ResNet recipe: x0.1 at epochs 30, 60, 90 (here 4 updates per epoch)
    schedule = S.per_epoch(S.multistep_decay(0.1, [30, 60, 90]), steps_per_epoch=4)
    theirs = torch_lrs(torch, lambda o, L: L.MultiStepLR(o, [30, 60, 90]), 0.1, steps=400, steps_per_epoch=4)
    np.testing.assert_allclose(ours(schedule, 400), theirs, rtol=0, atol=1e-12)
    assert schedule(119) == pytest.approx(0.1) and schedule(120) == pytest.approx(0.01)
    assert schedule(360) == pytest.approx(1e-4)


def test_cosine_decay_is_held_at_lr_min_where_torch_rises_again(torch):
    schedule = S.cosine_decay(0.1, total_steps=50, lr_min=0.01)
    theirs = torch_lrs(torch, lambda o, L: L.CosineAnnealingLR(o, T_max=50, eta_min=0.01), 0.1)
    mine = ours(schedule)
    np.testing.assert_allclose(mine[:51], theirs[:51], rtol=0, atol=1e-12)
    assert np.all(mine[50:] == 0.01)
    assert theirs[100] == pytest.approx(0.1)  # PyTorch: a cosine of period 2T, back at the top
    assert theirs[75] == pytest.approx(0.055)


# -- the slides' formulas, written out independently -----------------------------------------


def test_piecewise_constant_is_a0_times_beta_i_from_t_i_on():
    a0, boundaries, betas = 0.8, [10, 25, 60], [0.5, 0.2, 0.05]
    schedule = S.piecewise_constant(a0, boundaries, betas)
    for t in range(100):
        passed = [beta for T, beta in zip(boundaries, betas) if t >= T]
        assert schedule(t) == pytest.approx(a0 * (passed[-1] if passed else 1.0), abs=1e-15)
    assert [schedule(t) for t in (9, 10, 24, 25, 59, 60)] == pytest.approx([0.8, 0.4, 0.4, 0.16, 0.16, 0.04])


def test_piecewise_constant_factors_do_not_compound_where_multistep_ones_do():
    assert S.piecewise_constant(1.0, [10, 20], [0.5, 0.25])(20) == 0.25
    assert S.multistep_decay(1.0, [10, 20], gamma=0.5)(20) == 0.25  # 0.5 * 0.5
    assert S.piecewise_constant(1.0, [10, 20], [0.5, 0.5])(20) == 0.5


def test_inverse_time_decay_and_the_lectures_one_over_one_plus_decay_times_epoch():
    schedule = S.inverse_time_decay(0.5, decay_rate=0.1)
    for t in range(STEPS):
        assert schedule(t) == pytest.approx(0.5 / (1 + 0.1 * t), abs=1e-15)
    assert schedule(10) == pytest.approx(0.25) and schedule(90) == pytest.approx(0.05)
    # the lecture on optimization algorithms: a = a0 / (1 + decay_rate * epoch_num), a0 = 0.2,
    # decay_rate = 1, 10 batches per epoch
    per_epoch = S.per_epoch(S.inverse_time_decay(0.2, decay_rate=1.0), steps_per_epoch=10)
    expected = [0.2, 0.2, 0.1, 0.1, 0.2 / 3, 0.05]
    assert [per_epoch(t) for t in (0, 9, 10, 19, 20, 35)] == pytest.approx(expected)


def test_exponential_and_natural_exponential_decay():
    exp = S.exponential_decay(0.3, gamma=0.9)
    natural = S.natural_exp_decay(0.3, rate=0.05)
    for t in range(STEPS):
        assert exp(t) == pytest.approx(0.3 * 0.9**t, rel=1e-13)
        assert natural(t) == pytest.approx(0.3 * math.exp(-0.05 * t), rel=1e-13)
    same = S.exponential_decay(0.3, gamma=math.exp(-0.05))
    np.testing.assert_allclose(ours(natural), ours(same), rtol=1e-12)


def test_cosine_decay_is_the_slides_half_a0_one_plus_cos():
    a0, T = 0.4, 120
    schedule = S.cosine_decay(a0, total_steps=T)
    for t in range(T + 1):
        assert schedule(t) == pytest.approx(0.5 * a0 * (1 + math.cos(t * math.pi / T)), abs=1e-15)
    assert schedule(0) == a0 and schedule(60) == pytest.approx(0.2) and schedule(T) == 0.0
    assert schedule(T + 1) == 0.0 and schedule(10 * T) == 0.0  # held at lr_min = 0


def test_linear_decay_is_a_straight_line_then_flat():
    schedule = S.linear_decay(0.1, total_steps=40, lr_end=0.02)
    expected = [0.1, 0.08, 0.06, 0.02, 0.02, 0.02]
    assert [schedule(t) for t in (0, 10, 20, 40, 41, 500)] == pytest.approx(expected)
    steps = np.diff(ours(schedule, 41))
    np.testing.assert_allclose(steps, -0.002, rtol=1e-9)


def test_warmup_conventions_at_t_zero():
    after = S.cosine_decay(0.1, total_steps=50)
    slide = S.warmup(after, warmup_steps=5, from_zero=True)  # the slides' warmup: (t / T') a0
    assert [slide(t) for t in range(5)] == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08])
    assert slide(0) == 0.0  # the slide's first update moves nothing
    default = S.warmup(after, warmup_steps=5)  # (t + 1) / (T' + 1) a0
    assert [default(t) for t in range(5)] == pytest.approx([0.1 / 6, 0.2 / 6, 0.3 / 6, 0.4 / 6, 0.5 / 6])
    for schedule in (slide, default):  # then the schedule from its own step 0
        assert [schedule(5 + t) for t in range(60)] == [after(t) for t in range(60)]
    assert S.warmup(after, 0)(7) == after(7)


def slide_triangular(t, delta, a_min, a_max, decay):
    """The slides' formula, literally: m = floor(1 + t/(2 dT)), b = |t/dT - 2m + 1|, bounds of cycle m."""
    m = math.floor(1 + t / (2 * delta))
    b = abs(t / delta - 2 * m + 1)
    low, high = a_min * decay ** (m - 1), a_max * decay ** (m - 1)
    return low + (high - low) * max(0.0, 1 - b)


def test_triangular_cycle_with_shrinking_bounds_is_the_slides_formula():
    schedule = S.cyclic(0.02, 0.2, step_size=10, decay=0.7)
    for t in range(STEPS):
        assert schedule(t) == pytest.approx(slide_triangular(t, 10, 0.02, 0.2, 0.7), abs=1e-14)
    peaks = [schedule(t) for t in (10, 30, 50, 70)]  # the middle of cycles 1-4
    floors = [schedule(t) for t in (0, 20, 40, 60)]
    assert peaks == pytest.approx([0.2, 0.14, 0.098, 0.0686])
    assert floors == pytest.approx([0.02, 0.014, 0.0098, 0.00686])
    assert schedule(5) == pytest.approx(0.11)  # half way up cycle 1


def test_pytorch_triangular_is_the_slides_formula_with_fixed_bounds():
    schedule = S.cyclic(0.01, 0.1, step_size=7)
    for t in range(STEPS):
        assert schedule(t) == pytest.approx(slide_triangular(t, 7, 0.01, 0.1, 1.0), abs=1e-14)


def test_triangular2_halves_the_amplitude_while_the_floor_stays():
    schedule = S.cyclic(0.01, 0.09, step_size=5, mode="triangular2")
    assert [schedule(t) for t in (5, 15, 25, 35)] == pytest.approx([0.09, 0.05, 0.03, 0.02])
    assert [schedule(t) for t in (0, 10, 20, 30)] == pytest.approx([0.01] * 4)


def slide_sgdr(steps, a_max, a_min, T0, k, decay):
    """The slides' SGDR, literally: cosine from the cycle's bounds, T_m = T_{m-1} k, the bounds of cycle
    m multiplied by decay^(m-1)."""
    lrs, T_m, T_cur, m = [], T0, 0, 1
    for _ in range(steps):
        high, low = a_max * decay ** (m - 1), a_min * decay ** (m - 1)
        lrs.append(low + 0.5 * (high - low) * (1 + math.cos(T_cur / T_m * math.pi)))
        T_cur += 1
        if T_cur == T_m:
            T_cur, T_m, m = 0, T_m * k, m + 1
    return np.array(lrs)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_sgdr_with_decay_is_the_slides_formula(T_mult):
    schedule = S.sgdr(0.1, T_0=8, T_mult=T_mult, lr_min=0.01, decay=0.5)
    expected = slide_sgdr(STEPS, 0.1, 0.01, 8, T_mult, 0.5)
    np.testing.assert_allclose(ours(schedule), expected, rtol=0, atol=1e-15)


def test_sgdr_restarts_at_a_peak_that_decays():
    schedule = S.sgdr(0.1, T_0=10, T_mult=2, decay=0.5)
    restarts = [0, 10, 30, 70, 150]
    assert [schedule(t) for t in restarts] == pytest.approx([0.1, 0.05, 0.025, 0.0125, 0.00625])
    assert [schedule.cycle(t) for t in (9, 10, 29, 30, 69, 70)] == [
        (0, 9, 10), (1, 0, 20), (1, 19, 20), (2, 0, 40), (2, 39, 40), (3, 0, 80)
    ]
    assert schedule(5) == pytest.approx(0.05)  # half way down the first cycle
    assert schedule(20) == pytest.approx(0.025)  # half way down the second, from 0.05


def test_sequence_runs_each_schedule_from_its_own_step_zero():
    first, second, third = S.constant(0.01), S.linear_decay(0.1, 10), S.exponential_decay(0.05, 0.5)
    schedule = S.sequence([(first, 3), (second, 10), (third, 2)])
    expected = [0.01] * 3 + [second(t) for t in range(10)] + [0.05, 0.025, 0.0125, 0.00625]
    assert ours(schedule, 17).tolist() == pytest.approx(expected)  # the last one goes on after its count


# -- schedules as an optimizer's lr ------------------------------------------------------------


class Param:
    def __init__(self, data):
        self.data = data
        self.grad = None


CURVATURE = np.array([0.5, 1.0, 2.0, 4.0])
TARGET = np.array([1.0, -2.0, 0.5, 3.0])


# (our optimizer, torch's, the schedule, torch's base lr, torch's scheduler)
WITH_OPTIMIZERS = [
    (
        lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
        lambda T, p, lr: T.optim.SGD(p, lr=lr, momentum=0.9, foreach=False),
        S.warmup(S.cosine_decay(0.2, total_steps=25), warmup_steps=5),
        0.2,
        lambda o, L: L.SequentialLR(
            o,
            [L.LinearLR(o, start_factor=1 / 6, total_iters=5), L.CosineAnnealingLR(o, T_max=25)],
            milestones=[5],
        ),
    ),
    (
        lambda p, lr: optim.Adam(p, lr=lr),
        lambda T, p, lr: T.optim.Adam(p, lr=lr, foreach=False),
        S.cyclic(0.01, 0.3, step_size=4, mode="triangular2"),
        0.1,
        lambda o, L: L.CyclicLR(o, 0.01, 0.3, step_size_up=4, mode="triangular2", cycle_momentum=False),
    ),
    (
        lambda p, lr: optim.RMSprop(p, lr=lr),
        lambda T, p, lr: T.optim.RMSprop(p, lr=lr, foreach=False),
        S.step_decay(0.05, step_size=6, gamma=0.5),
        0.05,
        lambda o, L: L.StepLR(o, step_size=6, gamma=0.5),
    ),
]


@pytest.mark.parametrize(
    "optimizer, torch_optimizer, schedule, base_lr, make",
    WITH_OPTIMIZERS,
    ids=["SGD momentum, warmup + cosine", "Adam, triangular2", "RMSprop, step decay"],
)
def test_optimizer_with_a_schedule_follows_torch_optimizer_and_scheduler(
    torch, optimizer, torch_optimizer, schedule, base_lr, make
):
    start = np.array([3.0, 1.0, -1.0, 0.0])
    mine = Param(start.copy())
    opt = optimizer([mine], schedule)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    torch_opt = torch_optimizer(torch, [theirs], base_lr)
    scheduler = make(torch_opt, torch.optim.lr_scheduler)
    for _ in range(30):
        mine.grad = CURVATURE * (mine.data - TARGET)
        opt.step()
        theirs.grad = torch.as_tensor(CURVATURE * (theirs.detach().numpy() - TARGET))
        torch_opt.step()
        scheduler.step()
        np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=0, atol=1e-12)
    assert not np.allclose(mine.data, start)


# -- the object: pure, readable, picklable ----------------------------------------------------

EVERY = [
    S.constant(0.1),
    S.step_decay(0.1, 10),
    S.multistep_decay(0.1, [10, 20]),
    S.piecewise_constant(0.1, [10, 20], [0.5, 0.1]),
    S.inverse_time_decay(0.1, 0.5),
    S.exponential_decay(0.1, 0.9),
    S.natural_exp_decay(0.1, 0.1),
    S.cosine_decay(0.1, 30, lr_min=0.01),
    S.linear_decay(0.1, 30),
    S.warmup(S.cosine_decay(0.1, 30), 5, from_zero=True),
    S.cyclic(0.01, 0.1, 5, mode="exp_range", gamma=0.95, decay=0.9),
    S.sgdr(0.1, 5, T_mult=2, decay=0.8),
    S.per_epoch(S.step_decay(0.1, 2), 10),
    S.sequence([(S.constant(0.01), 5), (S.linear_decay(0.1, 20), None)]),
]


@pytest.mark.parametrize("schedule", EVERY, ids=lambda s: type(s).__name__)
def test_schedule_is_pure_readable_and_picklable(schedule):
    forward = ours(schedule, 60)
    backward = np.array([schedule(t) for t in reversed(range(60))])[::-1]
    assert np.array_equal(forward, backward)  # no hidden state: the order of the calls does not matter
    assert all(isinstance(schedule(t), float) and schedule(t) >= 0 for t in range(60))
    assert schedule(np.int64(7)) == schedule(7)
    text = repr(schedule)
    assert text.startswith(type(schedule).__name__ + "(") and "0.1" in text
    again = eval(text, vars(S))  # the repr is the call that makes it
    assert np.array_equal(ours(again, 60), forward)
    assert np.array_equal(ours(pickle.loads(pickle.dumps(schedule)), 60), forward)


def test_every_name_of_the_design_is_a_schedule():
    names = (
        "constant step_decay multistep_decay piecewise_constant inverse_time_decay exponential_decay "
        "natural_exp_decay cosine_decay linear_decay warmup cyclic sgdr per_epoch sequence"
    ).split()
    assert all(issubclass(getattr(optim.schedules, name), S.Schedule) for name in names)
    assert {type(s).__name__ for s in EVERY} == set(names)


def test_wrappers_take_any_callable():
    schedule = S.per_epoch(S.warmup(lambda epoch: 0.5 / (epoch + 1), 2), steps_per_epoch=3)
    assert [schedule(t) for t in (0, 3, 6, 9)] == pytest.approx([0.5 / 3, 1.0 / 3, 0.5, 0.25])


# -- bad arguments ----------------------------------------------------------------------------

BAD = [
    (lambda: S.constant(-0.1), ValueError, r"constant: lr must be a finite number >= 0, got -0.1"),
    (lambda: S.constant(float("nan")), ValueError, r"lr .* got nan"),
    (lambda: S.constant("0.1"), TypeError, r"lr must be a number, got '0.1'"),
    (lambda: S.step_decay(0.1, 0), ValueError, r"step_decay: step_size must be an integer >= 1, got 0"),
    (lambda: S.step_decay(0.1, -5), ValueError, r"step_size .* got -5"),
    (lambda: S.step_decay(0.1, 2.5), TypeError, r"step_size must be an integer, got 2.5"),
    (lambda: S.step_decay(0.1, 5, gamma=0), ValueError, r"gamma must be in \(0, 1\], got 0"),
    (lambda: S.step_decay(0.1, 5, gamma=-0.5), ValueError, r"gamma .* got -0.5"),
    (lambda: S.exponential_decay(0.1, 10), ValueError, r"exponential_decay: gamma .* \(0, 1\], got 10"),
    (lambda: S.multistep_decay(0.1, [30, 30]), ValueError, r"strictly increasing, got \[30, 30\]"),
    (lambda: S.multistep_decay(0.1, [0, 30]), ValueError, r"each of milestones .* >= 1, got 0"),
    (lambda: S.multistep_decay(0.1, 30), TypeError, r"milestones must be a list of step numbers, got 30"),
    (lambda: S.piecewise_constant(1.0, [10, 20], [0.5]), ValueError, r"2 boundaries and 1 factors"),
    (lambda: S.piecewise_constant(1.0, [10], [-0.5]), ValueError, r"each of factors .* got -0.5"),
    (lambda: S.inverse_time_decay(0.1, -1), ValueError, r"decay_rate .* got -1"),
    (lambda: S.natural_exp_decay(0.1, -0.1), ValueError, r"rate .* got -0.1"),
    (lambda: S.cosine_decay(0.1, 0), ValueError, r"total_steps must be an integer >= 1, got 0"),
    (lambda: S.cosine_decay(0.1, 10, lr_min=0.2), ValueError, r"lr_min must be in \[0, 0.1\], got 0.2"),
    (lambda: S.linear_decay(0.1, 10, lr_end=0.5), ValueError, r"lr_end must be in \[0, 0.1\], got 0.5"),
    (lambda: S.warmup(0.1, 5), TypeError, r"warmup: schedule must be a schedule .* got 0.1"),
    (lambda: S.warmup(S.constant(0.1), -1), ValueError, r"warmup_steps must be an integer >= 0, got -1"),
    (lambda: S.warmup(S.constant(0.1), 5, from_zero="yes"), TypeError, r"from_zero .* got 'yes'"),
    (lambda: S.cyclic(0.1, 0.01, 5), ValueError, r"cyclic: max_lr must be >= base_lr = 0.1, got 0.01"),
    (lambda: S.cyclic(0.01, 0.1, 0), ValueError, r"step_size must be an integer >= 1, got 0"),
    (lambda: S.cyclic(0.01, 0.1, 5, mode="triangle"), ValueError, r"mode must be one of .* got 'triangle'"),
    (lambda: S.cyclic(0.01, 0.1, 5, gamma=0.9), ValueError, r"gamma is used by mode 'exp_range' only"),
    (lambda: S.cyclic(0.01, 0.1, 5, "exp_range", gamma=0), ValueError, r"gamma must be in \(0, 1\], got 0"),
    (lambda: S.cyclic(0.01, 0.1, 5, decay=1.5), ValueError, r"decay must be in \(0, 1\], got 1.5"),
    (lambda: S.sgdr(0.1, 10, T_mult=0), ValueError, r"sgdr: T_mult must be an integer >= 1, got 0"),
    (lambda: S.sgdr(0.1, 10, T_mult=1.5), TypeError, r"T_mult must be an integer, got 1.5"),
    (lambda: S.sgdr(0.1, 0), ValueError, r"T_0 must be an integer >= 1, got 0"),
    (lambda: S.sgdr(0.1, 10, lr_min=0.5), ValueError, r"lr_min must be in \[0, 0.1\], got 0.5"),
    (lambda: S.sgdr(0.1, 10, decay=0), ValueError, r"decay must be in \(0, 1\], got 0"),
    (lambda: S.per_epoch(S.constant(0.1), 0), ValueError, r"steps_per_epoch must be an integer >= 1, got 0"),
    (lambda: S.sequence([]), ValueError, r"at least one"),
    (lambda: S.sequence([S.constant(0.1)]), TypeError, r"stages\[0\] must be a pair"),
    (lambda: S.sequence([(S.constant(0.1), None), (S.constant(0.2), 5)]), TypeError, r"steps of stages\[0\]"),
    (lambda: S.sequence([(S.constant(0.1), 0)]), ValueError, r"stages\[0\] must be an integer >= 1, got 0"),
    (lambda: S.constant(0.1)(-1), ValueError, r"the step t must be >= 0, got -1"),
    (lambda: S.constant(0.1)(1.5), TypeError, r"the step t must be an integer, got 1.5"),
    (lambda: S.constant(0.1)(True), TypeError, r"the step t must be an integer"),
]


@pytest.mark.parametrize("make, error, message", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_nonsense_arguments_raise_naming_the_argument_and_value(make, error, message):
    with pytest.raises(error, match=message):
        make()

"""A hypothesis sweep over optim's public entry points: every optimizer's constructor and
hyperparameters, ``step``'s closure, the clipping functions, ``EMA``, every schedule and the
search functions. A bad argument (a wrong type, a bool where a number is wanted, nan or inf,
a value outside what PyTorch takes) is a TypeError or ValueError naming it; valid ones still
give PyTorch's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sweeping import BAD, NEGATIVE, NOT_NUMBERS, assert_refused, bad_values, calls, first_value

import optim
from autodiff import Tensor, Value
from optim import schedules as S
from optim import search


def parameter() -> Tensor:
    p = Tensor(np.array([1.0, -2.0]), requires_grad=True, label="p")
    p.grad = np.array([0.5, 0.25])
    return p


P = parameter()
NOT_PARAMS = st.sampled_from([None, 3, "x", "", [], [3.0], [P, P], P, [P, "q"], {}, object(), np.ones(2)])
NOT_BETAS = st.one_of(
    st.sampled_from([None, 0.9, "0.9", (0.9,), (0.9, 0.999, 0.5), (0.9, 1.0), (1.0, 0.9), (-0.1, 0.9),
                     (0.9, math.nan), (True, 0.9), ("a", 0.9), [0.9, 1.5], {}, object()]),
    st.tuples(st.floats(0, 0.99), BAD["unit"]),
    st.tuples(BAD["unit"], st.floats(0, 0.99)),
)
NOT_CLIPPED = st.sampled_from([None, 3, "x", "", [3.0], [P, "q"], {}, object(), np.ones(2)])  # one, [] or twice: fine
NOT_FORMS = st.sampled_from([None, "EMA", "", 1, "nesterov", [], True])
LR = st.one_of(BAD["nonneg"].filter(lambda v: not callable(v)))


def optimizer(cls, **hyperparameters):
    """The optimizer on a fresh parameter, and one step (which checks again, lr schedules too)."""
    opt = cls([parameter()], **hyperparameters)
    if cls is optim.NAG:
        opt.step(lambda: 1.0)
    else:
        opt.step()
    return opt


OPTIMIZERS = {
    "Optimizer": (optim.Optimizer, dict(lr=0.1), {}),
    "SGD": (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=True),
            dict(momentum="nonneg", dampening="nonneg", weight_decay="nonneg", nesterov="flag")),
    "Momentum": (optim.Momentum, dict(lr=0.1, beta=0.9, form="ema"), dict(beta="unit", form=NOT_FORMS)),
    "NAG": (optim.NAG, dict(lr=0.1, momentum=0.9), dict(momentum="nonneg")),
    "Adagrad": (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1,
                                    eps=1e-10, eps_inside_sqrt=False),
                dict(lr_decay="nonneg", weight_decay="nonneg", initial_accumulator_value="nonneg", eps="nonneg",
                     eps_inside_sqrt="flag")),
    "RMSprop": (optim.RMSprop, dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.5, centered=True,
                                    eps_inside_sqrt=False),
                dict(alpha="unit", eps="nonneg", weight_decay="nonneg", momentum="nonneg", centered="flag",
                     eps_inside_sqrt="flag")),
    "Adadelta": (optim.Adadelta, dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0),
                 dict(rho="unit", eps="nonneg", weight_decay="nonneg")),
    "Adam": (optim.Adam, dict(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=True,
                              eps_inside_sqrt=False),
             dict(betas=NOT_BETAS, eps="nonneg", weight_decay="nonneg", amsgrad="flag", eps_inside_sqrt="flag")),
    "AdamW": (optim.AdamW, dict(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False,
                                eps_inside_sqrt=False),
              dict(betas=NOT_BETAS, eps="nonneg", weight_decay="nonneg", amsgrad="flag", eps_inside_sqrt="flag")),
}


def _make(cls):
    return lambda **hyperparameters: optimizer(cls, **hyperparameters)


def _with_params(cls):
    return lambda params, **hyperparameters: cls(params, **hyperparameters)


def _step_with(cls, valid):
    def step(closure):
        opt = cls([parameter()], **valid)
        return opt.step(closure)

    return step


def _set_then_step(cls, valid, name):
    """The hyperparameter ``name`` set on the optimizer after it was made: the next step refuses it."""

    def step(**value):
        opt = cls([parameter()], **valid)
        setattr(opt, name, value[name])
        return opt.step((lambda: 1.0) if cls is optim.NAG else None)

    return step


def _schedule_at(t):
    return S.exponential_decay(0.1, 0.9)(t)


def _ema_update(x):
    return optim.EMA(0.9).update(x)


def _ema_smooth(xs):
    return optim.EMA(0.9).smooth(xs)


def _square(params):
    return (params["x"] - 3.0) ** 2


ENTRY_POINTS = {}
for name, (cls, valid, kinds) in OPTIMIZERS.items():
    ENTRY_POINTS[name] = dict(call=_make(cls), valid=valid, kinds={"lr": LR, **kinds})
    ENTRY_POINTS[f"{name}(params)"] = dict(call=_with_params(cls), valid=dict(params=[parameter()], **valid),
                                           kinds=dict(params=NOT_PARAMS))
    ENTRY_POINTS[f"{name}.step"] = dict(call=_step_with(cls, valid), valid=dict(closure=lambda: 1.0),
                                        kinds=dict(closure=st.sampled_from([0, "f", [], 1.5, True, np.ones(2)])))
    for hyperparameter, kind in {"lr": LR, **kinds}.items():
        ENTRY_POINTS[f"{name}.{hyperparameter} = ..."] = dict(call=_set_then_step(cls, valid, hyperparameter),
                                                              valid={hyperparameter: valid[hyperparameter]},
                                                              kinds={hyperparameter: kind})

NOT_CLIP_VALUES = st.one_of(st.sampled_from([None, "1", "", [], (1.0,), (1.0, 0.0), ("a", 1), (math.nan, 1.0),
                                             (True, 1), (0.0, 1.0, 2.0), {}, object(), -1.0, math.nan, math.inf, True,
                                             1j, np.ones(2)]),
                            NEGATIVE, st.tuples(st.floats(0, 1), st.floats(-10, -1e-3)))
NOT_NORM_TYPES = st.one_of(NOT_NUMBERS, st.sampled_from([math.nan, -math.inf, 0, 0.0, -1, -2.5]))

ENTRY_POINTS |= {
    "clip_grad_value_": dict(call=optim.clip_grad_value_, valid=dict(params=[parameter()], clip_value=0.3),
                             kinds=dict(params=NOT_CLIPPED, clip_value=NOT_CLIP_VALUES)),
    "clip_grad_norm_": dict(call=optim.clip_grad_norm_,
                            valid=dict(params=[parameter()], max_norm=0.3, norm_type=2.0, error_if_nonfinite=True),
                            kinds=dict(params=NOT_CLIPPED, max_norm="nonneg", norm_type=NOT_NORM_TYPES,
                                       error_if_nonfinite="flag")),
    "clip_grad_norm_per_param_": dict(call=optim.clip_grad_norm_per_param_,
                                      valid=dict(params=[parameter()], max_norm=0.3, norm_type=math.inf),
                                      kinds=dict(params=NOT_CLIPPED, max_norm="nonneg", norm_type=NOT_NORM_TYPES)),
    "EMA": dict(call=optim.EMA, valid=dict(beta=0.9, bias_correction=False),
                kinds=dict(beta="unit", bias_correction="flag")),
    "EMA.update": dict(call=_ema_update, valid=dict(x=40.0),
                       kinds=dict(x=st.sampled_from(["x", None, object(), {}, [1, "a"], "", b"1"]))),
    "EMA.smooth": dict(call=_ema_smooth, valid=dict(xs=[40.0, 49.0]),
                       kinds=dict(xs=st.sampled_from([None, 3, 1.5, "abc", [1, "a"], [None], object()]))),
    # -- schedules --------------------------------------------------------------------------------
    "constant": dict(call=S.constant, valid=dict(lr=0.1), kinds=dict(lr="nonneg")),
    "step_decay": dict(call=S.step_decay, valid=dict(lr=0.1, step_size=10, gamma=0.5),
                       kinds=dict(lr="nonneg", step_size="count", gamma="positive")),
    "multistep_decay": dict(call=S.multistep_decay, valid=dict(lr=0.1, milestones=[5, 10], gamma=0.5),
                            kinds=dict(lr="nonneg", gamma="positive",
                                       milestones=st.sampled_from([None, 5, "ab", [10, 5], [5, 5], [0, 5], [2.5],
                                                                   [True], [5, None], object()]))),
    "piecewise_constant": dict(call=S.piecewise_constant, valid=dict(lr=0.1, boundaries=[5, 10], factors=[0.5, 0.1]),
                               kinds=dict(lr="nonneg",
                                          boundaries=st.sampled_from([None, 5, [10, 5], [0, 5], [2.5, 5], [5]]),
                                          factors=st.sampled_from([None, 0.5, [0.5], [0.5, 0.1, 0.1], [0.5, -1],
                                                                   [0.5, math.nan], ["a", 0.1], [0, 0.1]]))),
    "inverse_time_decay": dict(call=S.inverse_time_decay, valid=dict(lr=0.1, decay_rate=0.5),
                               kinds=dict(lr="nonneg", decay_rate="nonneg")),
    "exponential_decay": dict(call=S.exponential_decay, valid=dict(lr=0.1, gamma=0.9),
                              kinds=dict(lr="nonneg", gamma="positive")),
    "natural_exp_decay": dict(call=S.natural_exp_decay, valid=dict(lr=0.1, rate=0.5),
                              kinds=dict(lr="nonneg", rate="nonneg")),
    "cosine_decay": dict(call=S.cosine_decay, valid=dict(lr=0.1, total_steps=100, lr_min=0.01),
                         kinds=dict(lr="nonneg", total_steps="count", lr_min="nonneg")),
    "linear_decay": dict(call=S.linear_decay, valid=dict(lr=0.1, total_steps=100, lr_end=0.01),
                         kinds=dict(lr="nonneg", total_steps="count", lr_end="nonneg")),
    "warmup": dict(call=S.warmup, valid=dict(schedule=S.constant(0.1), warmup_steps=5, from_zero=True),
                   kinds=dict(schedule="callable", warmup_steps="index", from_zero="flag")),
    "per_epoch": dict(call=S.per_epoch, valid=dict(schedule=S.constant(0.1), steps_per_epoch=10),
                      kinds=dict(schedule="callable", steps_per_epoch="count")),
    "sequence": dict(call=S.sequence, valid=dict(stages=[(S.constant(0.1), 5), (S.constant(0.01), None)]),
                     kinds=dict(stages=st.sampled_from([None, 3, [], "ab", [S.constant(0.1)], [(S.constant(0.1),)],
                                                        [(0.1, 5)], [(S.constant(0.1), 0)], [(S.constant(0.1), 2.5)],
                                                        [(S.constant(0.1), None), (S.constant(0.1), 5)],
                                                        object()]))),
    "cyclic": dict(call=S.cyclic, valid=dict(base_lr=0.01, max_lr=0.1, step_size=4, mode="exp_range", gamma=0.99,
                                             decay=0.5),
                   kinds=dict(base_lr="nonneg", max_lr="nonneg", step_size="count", gamma="positive", decay="positive",
                              mode=st.sampled_from([None, "", "triangle", 1, [], True]))),
    "sgdr": dict(call=S.sgdr, valid=dict(lr_max=0.1, T_0=10, T_mult=2, lr_min=0.001, decay=0.5),
                 kinds=dict(lr_max="nonneg", T_0="count", T_mult="count", lr_min="nonneg", decay="positive")),
    "Schedule.__call__": dict(call=_schedule_at, valid=dict(t=3), kinds=dict(t="index")),
    # -- search -----------------------------------------------------------------------------------
    "log_uniform": dict(call=search.log_uniform, valid=dict(low=1e-4, high=1.0, size=3, rng=0),
                        kinds=dict(low="positive", high="positive",
                                   size=st.sampled_from([-1, 2.5, "3", (2, -1), (2.5,), True, {}, object()]),
                                   rng=st.sampled_from(["0", 1.5, [], True, object(), -1]))),
    "Uniform": dict(call=search.Uniform, valid=dict(low=0.0, high=0.5),
                    kinds=dict(low="finite", high=st.one_of(BAD["finite"], st.just(-1.0)))),
    "LogUniform": dict(call=search.LogUniform, valid=dict(low=1e-3, high=0.5),
                       kinds=dict(low="positive", high="positive")),
    "random_search": dict(call=search.random_search,
                          valid=dict(objective=_square, space={"x": search.Uniform(0, 10)}, n_trials=3, rng=0,
                                     executor=None, timeout=None, progress=False),
                          kinds=dict(objective="callable", n_trials="count",
                                     space=st.sampled_from([None, {}, [], "x", {"x": 3}, {"x": []}, {"x": "ab"},
                                                            object()]),
                                     rng=st.sampled_from(["0", 1.5, [], True, object(), -1]),
                                     executor=st.sampled_from([3, "pool", object(), True]),
                                     timeout=st.one_of(BAD["positive"].filter(lambda v: v is not None)),
                                     progress=st.sampled_from([0, 1, "yes", [], 1.5]))),
    "coarse_to_fine": dict(call=search.coarse_to_fine,
                           valid=dict(objective=_square, space={"x": search.Uniform(0, 10)}, rounds=2, n_trials=2,
                                      zoom=0.3, rng=0, progress=False),
                           kinds=dict(objective="callable", rounds="count", n_trials="count",
                                      zoom=st.one_of(BAD["positive"], st.floats(min_value=1.0001, allow_nan=False)),
                                      rng=st.sampled_from(["0", 1.5, [], True, object(), -1]))),
}
CALLS = calls(ENTRY_POINTS)


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_each_entry_point_works_on_its_valid_arguments(name):
    entry = ENTRY_POINTS[name]
    entry["call"](**entry["valid"])


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=st.sampled_from(CALLS), data=st.data())
def test_bad_arguments_raise_type_or_value_errors_naming_the_argument(call, data):
    name, argument = call
    entry = ENTRY_POINTS[name]
    bad = data.draw(bad_values(entry["kinds"][argument]), label=f"{name}({argument}=...)")
    assert_refused(name, entry["call"], entry["valid"], argument, bad, entry.get("also", ()))


@pytest.mark.parametrize("call", CALLS, ids=[f"{n}-{a}" for n, a in CALLS])
def test_every_argument_is_swept(call):
    """Each (entry point, argument) pair refuses at least the simplest of its bad values."""
    name, argument = call
    entry = ENTRY_POINTS[name]
    assert_refused(name, entry["call"], entry["valid"], argument, first_value(bad_values(entry["kinds"][argument])),
                   entry.get("also", ()))


# -- the edges PyTorch takes are still taken, with PyTorch's numbers ------------------------------

torch = pytest.importorskip("torch", reason="PyTorch, the oracle, is not installed: pip install torch==2.13.0")


@pytest.mark.parametrize("make, make_torch", [
    (lambda ps: optim.Adam(ps, lr=0.0), lambda ps: torch.optim.Adam(ps, lr=0.0)),
    (lambda ps: optim.Adam(ps, lr=0.1, betas=(0.0, 0.0), eps=0.0), lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.0, 0.0), eps=0.0)),
    (lambda ps: optim.AdamW(ps, lr=0.1, betas=[0.5, 0.9], weight_decay=0.0),
     lambda ps: torch.optim.AdamW(ps, lr=0.1, betas=(0.5, 0.9), weight_decay=0.0)),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.0, dampening=0.5), lambda ps: torch.optim.SGD(ps, lr=0.1, dampening=0.5)),
    (lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.0), lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.0)),
    (lambda ps: optim.Adagrad(ps, lr=np.float64(0.5)), lambda ps: torch.optim.Adagrad(ps, lr=0.5)),
], ids=["Adam lr=0", "Adam betas=0 eps=0", "AdamW betas list", "SGD dampening", "RMSprop alpha=0", "numpy lr"])
def test_the_edges_pytorch_takes_give_pytorch_numbers(make, make_torch):
    start, grads = np.array([1.0, -2.0]), [np.array([0.5, 0.25]), np.array([-1.0, 2.0]), np.array([0.1, -0.3])]
    p = Tensor(start.copy(), requires_grad=True)
    tp = torch.tensor(start.copy(), requires_grad=True)
    opt, topt = make([p]), make_torch([tp])
    for g in grads:
        p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_clipping_one_parameter_or_a_pair_interval_as_pytorch():
    p = parameter()
    optim.clip_grad_value_(p, (-0.1, 0.3))
    np.testing.assert_allclose(p.grad, [0.3, 0.25])
    assert optim.clip_grad_norm_([], max_norm=1.0) == 0.0
    p, tp = parameter(), torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    tp.grad = torch.tensor([0.5, 0.25], dtype=torch.float64)
    norm = optim.clip_grad_norm_(p, 0.3, norm_type=np.float64(1.0), error_if_nonfinite=np.bool_(True))
    tnorm = torch.nn.utils.clip_grad_norm_(tp, 0.3, norm_type=1.0)
    assert norm == pytest.approx(tnorm.item())
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12)


def test_ema_takes_numbers_arrays_and_any_sequence():
    ema = optim.EMA(0.5, bias_correction=False)
    np.testing.assert_allclose(ema.update([2.0, 4.0]), [1.0, 2.0])
    # v_1 = 0.5·2 = 1, v̂_1 = 1/0.5 = 2;  v_2 = 0.5·1 + 0.5·4 = 2.5, v̂_2 = 2.5/0.75
    assert optim.EMA(0.5).smooth(x for x in (2, 4)).tolist() == pytest.approx([2.0, 2.5 / 0.75])


def test_search_arguments_at_their_edges():
    assert search.log_uniform(1e-3, 1.0, size=(2, 0), rng=0).shape == (2, 0)
    assert search.log_uniform(1e-3, 1.0, size=np.int64(3), rng=np.random.default_rng(0)).shape == (3,)
    trials = search.random_search(_square, {"x": [3.0, 5.0]}, n_trials=4, rng=0, progress=False)
    assert trials[0].params == {"x": 3.0} and trials[0].score == 0.0
    trials = search.coarse_to_fine(_square, {"x": search.Uniform(0, 10)}, rounds=2, n_trials=3, zoom=1, rng=1,
                                   progress=False)
    assert len(trials) == 6 and trials[0].score == min(t.score for t in trials)

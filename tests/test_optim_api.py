"""The Optimizer interface: state, hyperparameters, schedules, closures, zero_grad, dtypes,
bad input (clear errors, nothing moved), and training scalar Values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import optim
from autodiff import Tensor, Value

ALL_RULES = {
    "Optimizer": lambda p: optim.Optimizer(p, lr=0.1),
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "SGD nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "Momentum": lambda p: optim.Momentum(p, lr=0.5),
    "Momentum classic": lambda p: optim.Momentum(p, lr=0.05, form="classic"),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
    "Adadelta": lambda p: optim.Adadelta(p, lr=1.0, weight_decay=0.01),
    "Adam": lambda p: optim.Adam(p, lr=0.05, amsgrad=True),
    "AdamW": lambda p: optim.AdamW(p, lr=0.05),
}


class Param:
    """A stand-in for a Tensor parameter: numpy data and grad."""

    def __init__(self, data):
        self.data = data
        self.grad = None


def quadratic_closure(params, targets):
    """Loss Σ ½‖θ - target‖²; the closure sets each grad to θ - target and returns the loss."""

    def closure():
        for p, target in zip(params, targets):
            p.grad = p.data - target
        return sum(0.5 * float(np.sum((p.data - t) ** 2)) for p, t in zip(params, targets))

    return closure


def snapshot(params):
    return [np.array(p.data, copy=True) for p in params]


# -- state and hyperparameters ----------------------------------------------------------


def test_state_holds_adams_moments_by_pytorch_name():
    p = Param(np.array([1.0, -2.0]))
    opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.99))
    assert opt.state[p] == {}
    p.grad = np.array([0.5, -1.0])
    opt.step()
    state = opt.state[p]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq"}
    assert state["step"] == 1
    np.testing.assert_allclose(state["exp_avg"], [0.05, -0.1], rtol=1e-14)
    np.testing.assert_allclose(state["exp_avg_sq"], [0.0025, 0.01], rtol=1e-12)
    # first Adam step: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε), about lr
    np.testing.assert_allclose(p.data, [1.0 - 0.1, -2.0 + 0.1], rtol=1e-7)


def test_hyperparameters_are_readable_and_settable_between_steps():
    p = Param(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    expected = {"lr": 0.1, "momentum": 0.5, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
    assert opt.hyperparameters == expected
    p.grad = np.array([1.0])
    opt.step()  # buffer 1, θ = 1 - 0.1
    opt.lr, opt.momentum = 0.2, 0.25
    opt.step()  # buffer 0.25·1 + 1 = 1.25, θ = 0.9 - 0.2·1.25
    np.testing.assert_allclose(p.data, [0.65], rtol=1e-15)
    assert "lr=0.2" in repr(opt) and "momentum=0.25" in repr(opt)


def test_adam_betas_can_change_between_steps():
    p = Param(np.array([0.0]))
    opt = optim.Adam([p], lr=1.0, betas=(0.5, 0.5), eps=0.0)
    p.grad = np.array([2.0])
    opt.step()
    opt.betas = (0.0, 0.0)  # m = g, v = g²: the step is lr·sign(g)
    p.grad = np.array([-3.0])
    opt.step()
    np.testing.assert_allclose(p.data, [-1.0 + 1.0], atol=1e-15)


def test_a_schedule_gives_the_lr_of_update_k():
    seen = []

    def lr(k):
        seen.append(k)
        return 0.1 * (k + 1)

    p = Param(np.array([0.0]))
    opt = optim.SGD([p], lr=lr)
    for _ in range(3):
        p.grad = np.array([1.0])
        opt.step()
    assert seen == [0, 1, 2] and opt.step_count == 3
    np.testing.assert_allclose(p.data, [-(0.1 + 0.2 + 0.3)], rtol=1e-15)
    assert opt.learning_rate(5) == pytest.approx(0.6)


def test_adagrad_lr_decay_counts_each_parameters_own_steps():
    # α_t = lr / (1 + (t - 1)·lr_decay), t the parameter's step: one that first gets a
    # gradient at update 2 takes its first step with the full lr, as in PyTorch
    every, late = Param(np.zeros(1)), Param(np.zeros(1))
    opt = optim.Adagrad([every, late], lr=0.1, lr_decay=0.5, eps=0.0)
    for k in range(3):
        every.grad = np.array([1.0])
        late.grad = np.array([1.0]) if k == 2 else None
        opt.step()
    # with g = 1 at every step, r_t = t and the step is α_t / √t
    steps = [0.1 / (1 + 0.5 * (t - 1)) / math.sqrt(t) for t in (1, 2, 3)]
    np.testing.assert_allclose(every.data, [-sum(steps)], rtol=1e-12)
    np.testing.assert_allclose(late.data, [-steps[0]], rtol=1e-12)
    assert opt.learning_rate(2) == 0.1  # the lr before the per-parameter decay, as PyTorch's param group


def test_step_returns_the_closures_loss_and_calls_it_once():
    p = Param(np.array([3.0]))
    calls = []
    closure = quadratic_closure([p], [np.array([1.0])])

    def counting():
        calls.append(1)
        return closure()

    opt = optim.SGD([p], lr=0.5)
    assert opt.step(counting) == pytest.approx(2.0)  # ½(3 - 1)²
    assert calls == [1]
    np.testing.assert_allclose(p.data, [2.0])  # 3 - 0.5·2
    assert opt.step() is None


def test_zero_grad_and_params_without_a_gradient_are_skipped():
    array, scalar = Param(np.array([1.0, 2.0])), Value(5.0)
    opt = optim.SGD([array, scalar], lr=0.1)
    array.grad, scalar.grad = np.array([1.0, 1.0]), 2.0
    opt.zero_grad()
    assert array.grad is None and scalar.grad == 0.0
    opt.step()  # the array has no gradient: PyTorch leaves it (and its state) alone
    np.testing.assert_array_equal(array.data, [1.0, 2.0])
    assert opt.state[array] == {} and opt.state[scalar]["step"] == 1 and scalar.data == 5.0


@pytest.mark.parametrize("rule", list(ALL_RULES))
def test_float32_stays_float32_and_values_stay_floats(rule):
    arrays = [Param(np.array([1.0, -2.0], dtype=np.float32)), Param(np.array([[0.5]], dtype=np.float32))]
    opt = ALL_RULES[rule](arrays)
    scalar = Value(1.5)
    scalar_opt = ALL_RULES[rule]([scalar])
    for _ in range(3):
        for p in arrays:
            p.grad = (2 * p.data).astype(np.float32)
        scalar.grad = 2 * scalar.data
        opt.step()
        scalar_opt.step()
        for p in arrays:
            assert p.data.dtype == np.float32
            buffers = [v for v in opt.state[p].values() if isinstance(v, np.ndarray)]
            assert all(buffer.dtype == np.float32 for buffer in buffers)
        assert type(scalar.data) is float
    assert float(np.abs(arrays[0].data).max()) < 2.0 and abs(scalar.data) < 1.5  # each went downhill


@pytest.mark.parametrize("rule", list(ALL_RULES))
def test_a_step_gives_parameters_new_arrays_and_leaves_the_users_arrays_alone(rule):
    from autodiff import Tensor

    initial = np.array([1.0, -2.0, 0.5])
    p = Tensor(initial, requires_grad=True)  # shares `initial`, as torch.from_numpy does
    assert np.shares_memory(p.data, initial)
    opt = ALL_RULES[rule]([p])
    (p * p).sum().backward()
    opt.step(closure=lambda: float((p.data**2).sum()))
    np.testing.assert_array_equal(initial, [1.0, -2.0, 0.5])  # a reference copy stays one
    assert not np.shares_memory(p.data, initial) and not np.array_equal(p.data, initial)


# -- values: the scalar engine ----------------------------------------------------------


@pytest.mark.parametrize("rule", list(ALL_RULES))
def test_values_follow_the_same_path_as_arrays(rule):
    values = [Value(0.7), Value(-1.2)]
    array = Param(np.array([0.7, -1.2]))
    value_opt, array_opt = ALL_RULES[rule](values), ALL_RULES[rule]([array])
    for k in range(20):
        for v in values:
            v.grad = 0.0
        loss = sum((v - 0.3) * (v - 0.3) * (1 + 0.1 * k) for v in values)
        loss.backward()
        array.grad = 2 * (array.data - 0.3) * (1 + 0.1 * k)
        value_opt.step()
        array_opt.step()
    np.testing.assert_allclose([v.data for v in values], array.data, rtol=1e-12, atol=1e-14)
    assert abs(values[1].data + 1.2) > 0.01


def xor_loss(model, data):
    return sum((model(x) - y) ** 2 for x, y in data) * (1.0 / len(data))


XOR = [([0.0, 0.0], -1.0), ([0.0, 1.0], 1.0), ([1.0, 0.0], 1.0), ([1.0, 1.0], -1.0)]
MLP_RULES = {
    "SGD": lambda p: optim.SGD(p, lr=0.02),
    "SGD momentum": lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
    "Momentum": lambda p: optim.Momentum(p, lr=0.1),
    "NAG": lambda p: optim.NAG(p, lr=0.01),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.02),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.002),
    "Adadelta": lambda p: optim.Adadelta(p, lr=1.0),
    "Adam": lambda p: optim.Adam(p, lr=0.005),
    "AdamW": lambda p: optim.AdamW(p, lr=0.005),
}


@pytest.mark.parametrize("rule", list(MLP_RULES))
def test_training_the_scalar_mlp_lowers_the_loss(rule):
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = MLP_RULES[rule](model.parameters())

    def closure():
        opt.zero_grad()
        loss = xor_loss(model, XOR)
        loss.backward()
        return loss.data

    first = closure()
    losses = [opt.step(closure) for _ in range(8)]
    final = xor_loss(model, XOR).data
    assert final < 0.7 * first, (first, losses, final)
    assert all(type(p.data) is float for p in model.parameters())


# -- bad input: a clear error, and nothing moved ------------------------------------------


def test_negative_lr_is_refused():
    with pytest.raises(ValueError, match=r"SGD: lr must be a finite number >= 0 .* got -0\.1"):
        optim.SGD([Param(np.zeros(1))], lr=-0.1)
    with pytest.raises(ValueError, match="Adam: lr must be a finite number >= 0"):
        optim.Adam([Param(np.zeros(1))], lr=math.nan)


def test_a_negative_lr_set_between_steps_or_from_a_schedule_moves_nothing():
    p = Param(np.array([1.0, 2.0]))
    p.grad = np.array([1.0, 1.0])
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    opt.lr = -0.5
    with pytest.raises(ValueError, match=r"Adam: lr must be a finite number >= 0 .* got -0\.5"):
        opt.step()
    opt.lr = lambda k: 0.2 - 0.2 * k  # update 1 gets 0.0, update 2 gets -0.2
    opt.step()
    before, state_before = snapshot([p]), {key: np.copy(value) for key, value in opt.state[p].items()}
    with pytest.raises(ValueError, match=r"Adam: the learning rate of update 2 must be .* >= 0, got -0\.2"):
        opt.step()
    np.testing.assert_array_equal(p.data, before[0])
    assert opt.step_count == 2
    for key, value in opt.state[p].items():
        np.testing.assert_array_equal(value, state_before[key])


@pytest.mark.parametrize("betas", [(0.9, 1.0), (-0.1, 0.999), (1.0, 0.5), (0.9,), "0.9", (0.9, None)])
def test_betas_outside_0_1_are_refused(betas):
    with pytest.raises(ValueError, match=r"Adam: betas must be a pair of numbers in \[0, 1\)"):
        optim.Adam([Param(np.zeros(1))], betas=betas)


def test_betas_set_out_of_range_between_steps_move_nothing():
    p = Param(np.array([1.0]))
    p.grad = np.array([1.0])
    opt = optim.AdamW([p])
    opt.betas = (0.9, 1.0)
    with pytest.raises(ValueError, match=r"AdamW: betas .* got \(0\.9, 1\.0\) \(item 1 is out of range\)"):
        opt.step()
    assert p.data[0] == 1.0 and opt.state[p] == {} and opt.step_count == 0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.RMSprop(p, alpha=1.0), r"RMSprop: alpha must be a number in \[0, 1\), got 1\.0"),
        (lambda p: optim.Adadelta(p, rho=-0.5), r"Adadelta: rho must be a number in \[0, 1\)"),
        (lambda p: optim.Momentum(p, lr=0.1, beta=1.5), r"Momentum: beta must be a number in \[0, 1\)"),
        (lambda p: optim.Momentum(p, lr=0.1, form="nag"), r"Momentum: form must be one of 'ema', 'classic'"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.9), r"SGD: momentum must be a finite number >= 0"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), r"SGD: nesterov=True needs momentum > 0"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), r"dampening = 0"),
        (lambda p: optim.Adam(p, eps=-1e-8), r"Adam: eps must be a finite number >= 0"),
        (lambda p: optim.Adam(p, amsgrad="yes"), r"Adam: amsgrad must be True or False"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), r"Adagrad: lr_decay must be a finite number >= 0"),
        (lambda p: optim.Adagrad(p, weight_decay=-0.1), r"Adagrad: weight_decay must be .* >= 0"),
        (lambda p: optim.NAG(p, lr=0.1, momentum=-1), r"NAG: momentum must be a finite number >= 0"),
        (lambda p: optim.SGD(p, lr="0.1"), r"SGD: lr must be a finite number >= 0 or a schedule"),
    ],
)
def test_other_bad_hyperparameters_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make([Param(np.zeros(1))])


def test_an_empty_parameter_list_is_refused():
    with pytest.raises(ValueError, match="SGD: params is an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Adam: params is an empty parameter list"):
        optim.Adam(p for p in [])


@pytest.mark.parametrize("bad", [1.5, np.zeros(3), "w", None])
def test_something_without_grad_is_refused(bad):
    with pytest.raises(TypeError, match=r"SGD: params\[1\] is a \w+ without \.data and \.grad"):
        optim.SGD([Value(1.0), bad], lr=0.1)


def test_a_module_or_a_single_parameter_is_not_a_parameter_list():
    with pytest.raises(TypeError, match=r"an iterable of parameters \(such as model\.parameters\(\)\)"):
        optim.SGD(nn.MLP(2, [1], seed=0), lr=0.1)
    with pytest.raises(TypeError, match=r"not one parameter: use \[p\]"):
        optim.SGD(Value(1.0), lr=0.1)
    x = Value(1.0)
    with pytest.raises(ValueError, match=r"params\[1\] appears twice"):
        optim.SGD([x, x], lr=0.1)


def test_a_dict_of_parameters_or_parameter_groups_are_named():
    w = Value(1.0)
    message = r"SGD: params is a dict, whose items are its keys; .*list\(params\.values\(\)\)"
    with pytest.raises(TypeError, match=message):
        optim.SGD({"w": w}, lr=0.1)
    message = r"Adam: params\[0\] is a dict: PyTorch's parameter groups are not supported"
    with pytest.raises(TypeError, match=message):
        optim.Adam([{"params": [w], "lr": 0.1}])


def test_a_gradient_of_the_wrong_shape_moves_nothing():
    a, b = Param(np.array([1.0, 2.0])), Param(np.array([3.0]))
    a.grad, b.grad = np.array([1.0, 1.0]), np.array([1.0, 1.0])
    opt = optim.SGD([a, b], lr=0.1)
    message = r"SGD: parameter 1 has data of shape \(1,\) but a gradient of shape \(2,\)"
    with pytest.raises(ValueError, match=message):
        opt.step()
    np.testing.assert_array_equal(a.data, [1.0, 2.0])


@pytest.mark.parametrize("bad, kind", [
    ([1.0, 1.0], "a list"),
    ("ab", "a str"),
    (np.array([1j, 1.0]), "an array of dtype complex128"),
    (np.array([True, False]), "an array of dtype bool"),
])
@pytest.mark.parametrize("rule", ["SGD", "Adam"])
def test_a_gradient_that_is_not_real_numbers_is_named_and_moves_nothing(rule, bad, kind):
    # PyTorch refuses it when it is assigned ("assigned grad expected to be a Tensor");
    # numpy would multiply a list by a float badly, or drop a complex gradient's imaginary part
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="w")
    other = Param(np.array([3.0]))
    other.grad, w.grad = np.array([1.0]), bad
    opt = getattr(optim, rule)([other, w], lr=0.1)
    with pytest.raises(TypeError, match=rf"{rule}: the gradient of parameter 1 \('w'\) is {kind}"):
        opt.step()
    np.testing.assert_array_equal(other.data, [3.0])
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    x = Value(1.0)
    x.grad = 1j
    with pytest.raises(TypeError, match=r"the gradient of parameter 0 is a complex \(1j\)"):
        getattr(optim, rule)([x], lr=0.1).step()
    assert x.data == 1.0


@pytest.mark.parametrize("make", [
    lambda: Tensor(np.ones(2), requires_grad=True, label="w") * 2.0,
    lambda: Value(1.0, label="w").tanh(),
], ids=["Tensor", "Value"])
def test_a_computed_node_is_not_a_parameter(make):
    # PyTorch: "can't optimize a non-leaf Tensor"; changing its data would not reach its inputs
    with pytest.raises(ValueError, match=r"SGD: params\[1\] is not a leaf: it was computed by (\*|tanh)"):
        optim.SGD([Value(0.0), make()], lr=0.1)


def test_nag_needs_a_closure_that_returns_the_loss():
    p = Param(np.array([2.0]))
    opt = optim.NAG([p], lr=0.1, momentum=0.9)
    closure = quadratic_closure([p], [np.array([0.0])])
    opt.step(closure)  # v = 0.1·2 = 0.2, θ = 1.8
    before = snapshot([p])
    state_before = dict(opt.state[p])
    with pytest.raises(TypeError, match="NAG.step needs a closure"):
        opt.step()

    def forgets_to_return():
        closure()

    with pytest.raises(ValueError, match="NAG.step: the closure returned nothing; it must return the loss"):
        opt.step(forgets_to_return)

    def fails():
        raise RuntimeError("the model broke")

    with pytest.raises(RuntimeError, match="the model broke"):
        opt.step(fails)
    with pytest.raises(TypeError, match="closure must be a function"):
        opt.step(42)
    np.testing.assert_array_equal(p.data, before[0])  # back at θ, not at the look-ahead point
    assert opt.state[p] == state_before and opt.step_count == 1
    # and the next proper step continues from there: θ̂ = 1.8 - 0.9·0.2 = 1.62, v = 0.18 + 0.162
    opt.step(closure)
    np.testing.assert_allclose(p.data, [1.8 - 0.342], rtol=1e-14)


def test_nag_loss_is_taken_at_the_look_ahead_point():
    p = Param(np.array([2.0]))
    opt = optim.NAG([p], lr=0.1, momentum=0.5)
    closure = quadratic_closure([p], [np.array([0.0])])
    assert opt.step(closure) == pytest.approx(2.0)  # ½·2², at θ itself (v = 0)
    # θ = 1.8, v = 0.2, θ̂ = 1.7: the loss reported is ½·1.7²
    assert opt.step(closure) == pytest.approx(0.5 * 1.7**2)

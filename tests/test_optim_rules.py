"""Update rules: torch.optim as the oracle, the unified formula's identities, and each slide formula.

One float64 problem for everything: three parameters (a scalar, a vector, a matrix),
each coordinate with its own curvature, a cubic term and a fixed "mini-batch" noise per
step, so gradients change size and sign along the way.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import optim

STEPS = 60
SHAPES = [(), (3,), (2, 3)]
_rng = np.random.default_rng(0)
STARTS = [_rng.normal(size=s) for s in SHAPES]
CURVATURE = [_rng.uniform(0.1, 3.0, size=s) for s in SHAPES]
NOISE = [[_rng.normal(scale=0.3, size=s) for s in SHAPES] for _ in range(STEPS)]


class Param:
    """A stand-in for a Tensor parameter (a Python float for the scalar, like a Value)."""

    def __init__(self, data):
        self.data = data
        self.grad = None


def gradient(i, theta, k):
    """d/dθ of curvature·θ²/2 + 0.05 θ⁴ + noise_k·θ for parameter i at step k."""
    return CURVATURE[i] * theta + 0.2 * theta**3 + NOISE[k][i]


def loss(params, k):
    return sum(
        float(np.sum(CURVATURE[i] * p.data**2 / 2 + 0.05 * p.data**4 + NOISE[k][i] * p.data))
        for i, p in enumerate(params)
    )


def make_params():
    return [Param(float(s) if s.shape == () else s.copy()) for s in STARTS]


def set_gradients(params, k):
    for i, p in enumerate(params):
        g = gradient(i, p.data, k)
        p.grad = float(g) if np.ndim(g) == 0 else g


def closure_for(params, k):
    def closure():
        set_gradients(params, k)
        return loss(params, k)

    return closure


def scheduled(base_lr):
    """A learning-rate schedule (k = 0, 1, ...) that rises and falls between 0.2 and 1.8 times base_lr."""
    return lambda k: base_lr * (1 + 0.8 * math.cos(k / 7))


schedule = scheduled(0.05)


def run(opt, params, steps=STEPS):
    """Train on the problem; the trajectory, as one flat array per step (the start first)."""
    path = [flat(params)]
    for k in range(steps):
        set_gradients(params, k)
        opt.step()
        path.append(flat(params))
    return np.array(path)


def flat(params):
    return np.concatenate([np.ravel(p.data) for p in params])


# -- torch.optim as the oracle ---------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is the optimizers' oracle: pip install torch==2.13.0")


def run_torch(torch, name, kwargs, lr_schedule=None, steps=STEPS):
    tensors = [torch.tensor(s.copy(), dtype=torch.float64, requires_grad=True) for s in STARTS]
    # foreach=False: the one-tensor-at-a-time code path (the default on CPU)
    opt = getattr(torch.optim, name)(tensors, foreach=False, **kwargs)
    path = [flat_torch(tensors)]
    for k in range(steps):
        for i, t in enumerate(tensors):
            t.grad = torch.as_tensor(gradient(i, t.detach().numpy(), k))
        if lr_schedule is not None:
            opt.param_groups[0]["lr"] = lr_schedule(k)
        opt.step()
        path.append(flat_torch(tensors))
    return np.array(path), opt, tensors


def flat_torch(tensors):
    return np.concatenate([t.detach().numpy().ravel() for t in tensors])


ORACLE_CASES = {
    "SGD": ("SGD", dict(lr=0.05)),
    "SGD momentum": ("SGD", dict(lr=0.05, momentum=0.9)),
    "SGD dampening": ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    "SGD nesterov": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    "SGD weight decay": ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1)),
    "Adagrad": ("Adagrad", dict(lr=0.1)),
    "Adagrad all": ("Adagrad", dict(lr=0.1, lr_decay=0.02, weight_decay=0.1, initial_accumulator_value=0.5)),
    "RMSprop": ("RMSprop", dict(lr=0.01)),
    "RMSprop centered": ("RMSprop", dict(lr=0.01, centered=True)),
    "RMSprop momentum": ("RMSprop", dict(lr=0.01, momentum=0.9)),
    "RMSprop all": ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    "Adadelta": ("Adadelta", dict()),
    "Adadelta all": ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    "Adam": ("Adam", dict(lr=0.05)),
    "Adam amsgrad": ("Adam", dict(lr=0.05, amsgrad=True)),
    "Adam weight decay": ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    "AdamW": ("AdamW", dict(lr=0.05)),
    "AdamW amsgrad": ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
}


@pytest.mark.parametrize("is_scheduled", [False, True], ids=["constant lr", "scheduled lr"])
@pytest.mark.parametrize("case", list(ORACLE_CASES))
def test_every_rule_follows_torch_for_60_float64_steps(torch, case, is_scheduled):
    name, kwargs = ORACLE_CASES[case]
    lr_schedule = scheduled(kwargs.get("lr", 1.0)) if is_scheduled else None
    params = make_params()
    opt = getattr(optim, name)(params, **dict(kwargs, lr=lr_schedule) if is_scheduled else kwargs)
    ours = run(opt, params)
    theirs, torch_opt, tensors = run_torch(torch, name, kwargs, lr_schedule)

    assert np.abs(ours - ours[0]).max() > 0.02, "the problem should move the parameters"
    assert np.abs(ours - theirs).max() <= 1e-12
    # the state has PyTorch's buffer names and values
    for p, t in zip(params, tensors):
        for key, value in torch_opt.state[t].items():
            if value is not None:
                assert np.abs(np.asarray(opt.state[p][key]) - value.numpy()).max() <= 1e-12, key


def has_gradient(i, k):
    """Whether parameter i gets a gradient at update k: each misses some updates, the scalar
    the first two, so the parameters' own step counts drift apart from the update count."""
    return k >= 2 if i == 0 else (k + i) % 3 != 0


@pytest.mark.parametrize("case", list(ORACLE_CASES))
def test_every_rule_follows_torch_when_parameters_miss_updates(torch, case):
    # PyTorch skips a parameter whose grad is None, and counts each parameter's own steps
    # (Adam's bias correction, Adagrad's lr_decay): 1/(1 + (t - 1)·lr_decay) with t the
    # parameter's step, not the optimizer's update count
    name, kwargs = ORACLE_CASES[case]
    params = make_params()
    opt = getattr(optim, name)(params, **kwargs)
    tensors = [torch.tensor(s.copy(), dtype=torch.float64, requires_grad=True) for s in STARTS]
    torch_opt = getattr(torch.optim, name)(tensors, foreach=False, **kwargs)
    for k in range(STEPS):
        set_gradients(params, k)
        for i, (p, t) in enumerate(zip(params, tensors)):
            t.grad = torch.as_tensor(gradient(i, t.detach().numpy(), k)) if has_gradient(i, k) else None
            if not has_gradient(i, k):
                p.grad = None
        opt.step()
        torch_opt.step()
    own_steps = [sum(has_gradient(i, k) for k in range(STEPS)) for i in range(3)]
    assert [opt.state[p]["step"] for p in params] == own_steps
    assert np.abs(flat(params) - flat_torch(tensors)).max() <= 1e-12
    assert np.abs(flat(params) - flat(make_params())).max() > 0.02


@pytest.mark.parametrize("name, kwargs", [
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adadelta", dict()),
], ids=["RMSprop", "RMSprop centered momentum", "Adadelta"])
def test_a_gradient_whose_square_overflows_moves_as_in_torch(torch, name, kwargs):
    # g² = 2.25e308 is past float64's largest number, but (1 - α)·g·g, multiplied in
    # PyTorch's order, is not: the average of g² stays finite and the step is lr-sized
    g = np.array([1.5e154, -3e154, 0.5, 0.0])
    params = [Param(np.ones(4))]
    opt = getattr(optim, name)(params, **kwargs)
    tensor = torch.ones(4, dtype=torch.float64, requires_grad=True)
    torch_opt = getattr(torch.optim, name)([tensor], foreach=False, **kwargs)
    for _ in range(3):
        params[0].grad, tensor.grad = g.copy(), torch.tensor(g)
        with np.errstate(over="ignore"):
            opt.step()
        torch_opt.step()
    theirs = tensor.detach().numpy()
    assert np.isfinite(theirs).all() and (theirs[:2] != 1.0).all()
    np.testing.assert_allclose(params[0].data, theirs, rtol=1e-12, atol=0)


def test_momentum_ema_form_is_torch_sgd_with_lr_times_one_minus_beta(torch):
    alpha, beta = 0.2, 0.9
    params = make_params()
    ours = run(optim.Momentum(params, lr=alpha, beta=beta), params)
    theirs, _, _ = run_torch(torch, "SGD", dict(lr=alpha * (1 - beta), momentum=beta))
    assert np.abs(ours - theirs).max() <= 1e-12
    # not SGD(dampening=β): its first step takes g_1 whole
    damped, _, _ = run_torch(torch, "SGD", dict(lr=alpha, momentum=beta, dampening=beta), steps=1)
    first_gradient = np.concatenate([np.ravel(gradient(i, s, 0)) for i, s in enumerate(STARTS)])
    np.testing.assert_allclose(damped[1] - damped[0], -alpha * first_gradient, rtol=1e-12)
    np.testing.assert_allclose(ours[1] - ours[0], -alpha * (1 - beta) * first_gradient, rtol=1e-12)


def test_torch_nesterov_iterates_are_the_nag_look_ahead_points(torch):
    lr, rho = 0.05, 0.9
    params = make_params()
    nag = optim.NAG(params, lr=lr, momentum=rho)
    look_ahead = [flat(params)]
    for k in range(STEPS):
        nag.step(closure_for(params, k))
        look_ahead.append(np.concatenate([np.ravel(nag.look_ahead(p)) for p in params]))
    theirs, _, _ = run_torch(torch, "SGD", dict(lr=lr, momentum=rho, nesterov=True))
    assert np.abs(np.array(look_ahead) - theirs).max() <= 1e-12
    # the parameters themselves are not torch's iterates
    assert np.abs(flat(params) - theirs[-1]).max() > 1e-4


def test_classic_momentum_is_torch_sgd_only_while_lr_is_constant(torch):
    params = make_params()
    constant = run(optim.Momentum(params, lr=0.05, beta=0.9, form="classic"), params)
    theirs, _, _ = run_torch(torch, "SGD", dict(lr=0.05, momentum=0.9))
    assert np.abs(constant - theirs).max() <= 1e-12

    params = make_params()
    scheduled = run(optim.Momentum(params, lr=schedule, beta=0.9, form="classic"), params)
    theirs, _, _ = run_torch(torch, "SGD", dict(lr=0.05, momentum=0.9), lr_schedule=schedule)
    assert np.abs(scheduled - theirs).max() > 1e-3  # PyTorch rescales the whole buffer by the current lr


# -- the unified formula's identities within the library -----------------------------------


def test_momentum_equals_sgd_with_scaled_lr():
    alpha, beta = 0.3, 0.8
    params = make_params()
    ema_form = run(optim.Momentum(params, lr=alpha, beta=beta), params)
    params = make_params()
    sgd = run(optim.SGD(params, lr=alpha * (1 - beta), momentum=beta), params)
    assert np.abs(ema_form - sgd).max() <= 1e-12
    assert np.abs(ema_form[-1] - ema_form[0]).max() > 0.1


def test_adam_is_momentum_phi_plus_rmsprop_psi():
    p = [Param(np.zeros(2))]
    adam = optim.Adam(p, betas=(0.8, 0.95)).rule()
    momentum = optim.Momentum(p, lr=1.0, beta=0.8).rule()
    rmsprop = optim.RMSprop(p, alpha=0.95).rule()
    assert adam.phi.average == momentum.phi
    assert adam.psi.average == dataclasses.replace(rmsprop.psi, key="exp_avg_sq")
    assert (adam.phi.beta, adam.psi.beta) == (0.8, 0.95)  # both bias-corrected
    assert momentum.psi is None and optim.SGD(p, lr=1.0).rule().psi is None  # ψ = 1
    assert rmsprop.phi == optim.SGD(p, lr=1.0).rule().phi == optim.Adagrad(p).rule().phi  # φ = g


# -- the slides' formulas, each written out ---------------------------------------------


def slide_run(update, state, steps=STEPS):
    """Run a hand-written update θ, g, state, k -> θ on the problem's parameters."""
    thetas = [np.asarray(s, dtype=float).copy() for s in STARTS]
    path = [np.concatenate([t.ravel() for t in thetas])]
    states = [dict(state) for _ in thetas]
    for k in range(steps):
        thetas = [update(theta, gradient(i, theta, k), states[i], k) for i, theta in enumerate(thetas)]
        path.append(np.concatenate([t.ravel() for t in thetas]))
    return np.array(path)


def assert_same_path(opt_factory, update, state, tol=1e-12):
    params = make_params()
    ours = run(opt_factory(params), params)
    expected = slide_run(update, state)
    assert np.abs(ours - ours[0]).max() > 0.05
    assert np.abs(ours - expected).max() <= tol


def test_sgd_with_weight_decay_is_the_slide_formula():
    eta, lam = 0.05, 0.2

    def update(theta, g, s, k):  # the slides' weight decay: θ ← (1 - ηλ)θ - ηg
        return (1 - eta * lam) * theta - eta * g

    assert_same_path(lambda p: optim.SGD(p, lr=eta, weight_decay=lam), update, {})


def test_momentum_ema_form_of_the_optimization_algorithms_lecture():
    alpha, beta = 0.2, 0.9

    def update(theta, g, s, k):  # v = βv + (1-β)dW; W := W - αv
        s["v"] = beta * s["v"] + (1 - beta) * g
        return theta - alpha * s["v"]

    assert_same_path(lambda p: optim.Momentum(p, lr=alpha, beta=beta), update, {"v": 0.0})


def test_classic_momentum_of_the_mnist_workshop_under_a_schedule():
    rho = 0.9

    def update(theta, g, s, k):  # v_t = αv_{t-1} + ηg_t; θ_t = θ_{t-1} - v_t
        s["v"] = rho * s["v"] + schedule(k) * g
        return theta - s["v"]

    assert_same_path(lambda p: optim.Momentum(p, lr=schedule, beta=rho, form="classic"), update, {"v": 0.0})


def test_nag_is_the_slide_look_ahead_form_under_a_schedule():
    rho = 0.9
    thetas = [np.asarray(start, dtype=float).copy() for start in STARTS]
    velocities = [0.0] * len(STARTS)
    expected = []
    for k in range(STEPS):
        for i, theta in enumerate(thetas):
            g = gradient(i, theta - rho * velocities[i], k)  # θ̂ = θ - αv; g = ∇J(θ̂)
            velocities[i] = rho * velocities[i] + schedule(k) * g  # v = αv + ηg
            thetas[i] = theta - velocities[i]  # θ = θ - v
        expected.append(np.concatenate([t.ravel() for t in thetas]))

    params = make_params()
    nag = optim.NAG(params, lr=schedule, momentum=rho)
    ours = []
    for k in range(STEPS):
        nag.step(closure_for(params, k))
        ours.append(flat(params))
    assert np.abs(np.array(ours) - np.array(expected)).max() <= 1e-12
    assert np.abs(ours[-1] - flat(make_params())).max() > 0.05


def adagrad_update(eta, eps, eps_inside):
    def update(theta, g, s, k):  # r_t = r_{t-1} + g⊙g
        s["r"] = s["r"] + g * g
        denominator = np.sqrt(s["r"] + eps) if eps_inside else eps + np.sqrt(s["r"])
        return theta - eta * g / denominator

    return update


def test_adagrad_of_the_tuning_lecture_puts_eps_inside_the_root():
    # Δθ = -α/√(G_t + ε) ⊙ g_t; a large ε so that its place shows
    update = adagrad_update(0.5, 0.1, eps_inside=True)
    assert_same_path(lambda p: optim.Adagrad(p, lr=0.5, eps=0.1, eps_inside_sqrt=True), update, {"r": 0.0})
    params = make_params()
    outside = run(optim.Adagrad(params, lr=0.5, eps=0.1), params)
    assert np.abs(outside - slide_run(update, {"r": 0.0})).max() > 1e-3


def test_adagrad_of_the_mnist_workshop_is_torch_form_with_eps_1e_6():
    # Δθ = η/(ε + √r_t) ⊙ g_t, ε = 1e-6
    update = adagrad_update(0.5, 1e-6, eps_inside=False)
    assert_same_path(lambda p: optim.Adagrad(p, lr=0.5, eps=1e-6), update, {"r": 0.0})


def rmsprop_update(eta, beta, eps, eps_inside):
    def update(theta, g, s, k):  # r = βr + (1-β) g⊙g
        s["r"] = beta * s["r"] + (1 - beta) * g * g
        denominator = np.sqrt(s["r"] + eps) if eps_inside else np.sqrt(s["r"]) + eps
        return theta - eta * g / denominator

    return update


def test_rmsprop_of_the_optimization_algorithms_lecture_has_no_eps():
    # S = βS + (1-β)dW²; W := W - α dW/√S
    update = rmsprop_update(0.01, 0.9, 0.0, eps_inside=False)
    assert_same_path(lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.0), update, {"r": 0.0})


def test_rmsprop_of_the_tuning_lecture_puts_eps_inside_the_root():
    # Δθ = -α/√(G_t + ε) ⊙ g_t
    update = rmsprop_update(0.01, 0.9, 0.01, eps_inside=True)
    assert_same_path(
        lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.01, eps_inside_sqrt=True), update, {"r": 0.0}
    )


def test_rmsprop_mnist_workshop_defaults():
    # η = 0.001, α = 0.9, ε = 1e-8: Δθ = η/(√r + ε) ⊙ g
    update = rmsprop_update(0.001, 0.9, 1e-8, eps_inside=False)
    params = make_params()
    ours = run(optim.RMSprop(params, lr=0.001, alpha=0.9), params)
    assert np.abs(ours - slide_run(update, {"r": 0.0})).max() <= 1e-12
    assert np.abs(ours[-1] - ours[0]).max() > 0.01


def test_adadelta_of_the_mnist_workshop():
    # ε = 1e-5, ρ = 0.9: s = ρs + (1-ρ)g²; Δθ = √((r+ε)/(s+ε)) g; θ -= Δθ; r = ρr + (1-ρ)Δθ²
    rho, eps = 0.9, 1e-5

    def update(theta, g, s, k):
        s["s"] = rho * s["s"] + (1 - rho) * g * g
        delta = np.sqrt((s["r"] + eps) / (s["s"] + eps)) * g
        s["r"] = rho * s["r"] + (1 - rho) * delta * delta
        return theta - delta

    params = make_params()
    ours = run(optim.Adadelta(params, lr=1.0, rho=rho, eps=eps), params)
    assert np.abs(ours - slide_run(update, {"s": 0.0, "r": 0.0})).max() <= 1e-12
    assert np.abs(ours[-1] - ours[0]).max() > 1e-3


def adam_update(eta, beta1, beta2, eps, eps_inside, decay=0.0):
    def update(theta, g, s, k):
        t = k + 1
        s["m"] = beta1 * s["m"] + (1 - beta1) * g
        s["v"] = beta2 * s["v"] + (1 - beta2) * g * g
        m_hat = s["m"] / (1 - beta1**t)
        v_hat = s["v"] / (1 - beta2**t)
        denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        return theta - eta * decay * theta - eta * m_hat / denominator

    return update


def test_adam_mnist_workshop_defaults():
    # Δθ = η m̂_t / (ε + √v̂_t), β1 = 0.9, β2 = 0.999, ε = 1e-8
    update = adam_update(0.05, 0.9, 0.999, 1e-8, eps_inside=False)
    assert_same_path(lambda p: optim.Adam(p, lr=0.05), update, {"m": 0.0, "v": 0.0})


def test_adam_of_the_two_lectures_puts_eps_inside_the_root():
    # W := W - α v̂ / √(Ŝ + ε); the tuning lecture: β2 = 0.99. A large ε so that its place shows.
    for beta2 in (0.999, 0.99):
        update = adam_update(0.05, 0.9, beta2, 1e-3, eps_inside=True)
        assert_same_path(
            lambda p: optim.Adam(p, lr=0.05, betas=(0.9, beta2), eps=1e-3, eps_inside_sqrt=True),
            update,
            {"m": 0.0, "v": 0.0},
        )
    params = make_params()
    outside = run(optim.Adam(params, lr=0.05, betas=(0.9, 0.99), eps=1e-3), params)
    assert np.abs(outside - slide_run(update, {"m": 0.0, "v": 0.0})).max() > 1e-4


def test_adamw_decays_the_weights_outside_the_adaptive_step():
    # θ ← θ - ηλθ - η m̂/(√v̂ + ε)
    update = adam_update(0.05, 0.9, 0.999, 1e-8, False, decay=0.1)
    assert_same_path(lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1), update, {"m": 0.0, "v": 0.0})
    params = make_params()
    coupled = run(optim.Adam(params, lr=0.05, weight_decay=0.1), params)
    assert np.abs(coupled - slide_run(update, {"m": 0.0, "v": 0.0})).max() > 1e-3

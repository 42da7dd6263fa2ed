"""Tensor engine vs PyTorch eager vs hand-written numpy: one SGD step; prints one JSON line.

The step: forward, softmax cross-entropy (mean over the batch), backward, SGD update,
gradients cleared. Two nets, each in float32 and float64:

- 784-64-16-10, sigmoid then tanh, batch 64 (the MNIST workshop's net);
- 784-256-128-10, ReLU, batch 128.

The implementations start from the same weights and see the same batch:

- this engine, written as a user writes it with autodiff alone (``engine_step``:
  ``autodiff.linear`` layers, ``autodiff.softmax_cross_entropy`` against one-hot labels,
  the update by hand);
- this engine through ``nn`` and ``optim``, written as the PyTorch step is
  (``nn_step``: ``nn.Sequential`` of ``nn.Linear``, ``nn.functional.cross_entropy`` on
  integer labels, ``optim.SGD``);
- PyTorch eager (``torch==2.13.0``): ``nn.Sequential`` of ``nn.Linear`` layers,
  ``F.cross_entropy`` on integer labels, ``torch.optim.SGD``;
- numpy by hand: forward, the hand-derived backward pass, update, written the
  straightforward way a student would (``numpy_grads_*``);
- a floor, ``minimal_tensor_engine.py`` (not part of the library): a graph engine that
  knows only this step's five ops, to show what recording and replaying a graph costs
  in Python at the least, apart from the price of ``autodiff``'s generality.

Before timing (off the clock), one step of each is checked to compute the same
gradients and the same updated weights. The thread count is fixed for numpy's BLAS
and for PyTorch (``BENCH_THREADS``, default 1) before either is imported. Timing:
``BENCH_STEPS`` steps of each (default 600) after 20 warm-up steps, taken in rounds:
in each round every implementation runs a block of 20 consecutive steps (as in
training, a net's weights stay in cache from one step to the next), the order
rotating from round to round. ``*_ms`` is the median step over all rounds. A ratio
such as ``engine_over_numpy`` is the median over the rounds of the ratio of the two
blocks' medians in that round: the blocks of one round run within milliseconds of
each other, so a busy spell of a shared machine, which moves every timing by a few
percent, hits both sides of a ratio alike. The load average at the start is recorded.
Each configuration also times its biggest matrix product alone in numpy and in PyTorch
(``first_layer_product``), with the BLAS each uses (``blas``): numpy's wheels ship
OpenBLAS, PyTorch's x86 wheels MKL, and where MKL is faster no numpy step can match
PyTorch. ``autodiff.keep_freed_memory()`` is called first (as a long training run
would), so freed temporaries are reused rather than faulted in again; it applies to the
whole process, numpy's step included.

    python tests/benchmarks/bench_tensor.py
"""

from __future__ import annotations

import os

THREADS = int(os.environ.get("BENCH_THREADS", "1"))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)  # before numpy (or torch) is imported

import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import autodiff  # noqa: E402
import minimal_tensor_engine as minimal  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from autodiff import Tensor  # noqa: E402

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402

    torch.set_num_threads(THREADS)
    TORCH_ERROR = None
except Exception as error:  # recorded in the JSON line, not fatal
    torch = None
    TORCH_ERROR = f"{type(error).__name__}: {error}"

STEPS = int(os.environ.get("BENCH_STEPS", "600"))
WARMUP = 20
BLOCK = 20  # consecutive steps of one implementation, so its weights stay in cache as in training
LR = 0.1

CONFIGS = [
    # name, layer sizes, hidden activations, batch
    ("784-64-16-10 sigmoid/tanh b64", (784, 64, 16, 10), ("sigmoid", "tanh"), 64),
    ("784-256-128-10 relu b128", (784, 256, 128, 10), ("relu", "relu"), 128),
]
DTYPES = ("float32", "float64")


def _minor_faults() -> int:
    try:
        import resource
    except ImportError:  # not on this platform
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


# -- the shared problem ------------------------------------------------------------------


def make_problem(sizes, batch, dtype, seed=0):
    """A batch (pixel-like X, integer labels and one-hot Y) and the initial weights.

    Weights W of shape (in, out), as on the slides (Z = X W + b), scaled 1/sqrt(fan-in);
    biases small and random so their gradients are not trivially structured.
    """
    rng = np.random.default_rng(seed)
    X = rng.random((batch, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], batch)
    Y = np.eye(sizes[-1], dtype=dtype)[labels]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype))
        params.append((0.1 * rng.standard_normal(n_out)).astype(dtype))
    return X, labels, Y, params


# -- (a) this engine, as a user writes it --------------------------------------------------


def engine_loss(params, activations, X, Y, engine=autodiff):
    """Mean softmax cross-entropy of the MLP's logits against one-hot Y, with the engine's
    fused layer and loss (each one node: x @ W + b, and log-softmax against Y).
    ``engine``: the module with ``linear`` and ``softmax_cross_entropy`` (the floor has both)."""
    h = X
    for i in range(0, len(params), 2):
        h = engine.linear(h, params[i], params[i + 1])
        if i // 2 < len(activations):
            h = getattr(h, activations[i // 2])()  # h.sigmoid(), h.tanh(), h.relu()
    return engine.softmax_cross_entropy(h, Y)


def engine_step(params, activations, X, Y, lr):
    """One SGD step: forward, loss, backward, update, gradients cleared."""
    loss = engine_loss(params, activations, X, Y)
    loss.backward()
    with autodiff.no_grad():
        for p in params:
            p.data -= lr * p.grad
            p.grad = None


# -- (a'') the floor: the least a graph engine in Python can do (minimal_tensor_engine.py) --------


def minimal_step(params, activations, X, Y, lr):
    engine_loss(params, activations, X, Y, engine=minimal).backward()
    for p in params:
        p.data -= lr * p.grad
        p.grad = None


# -- (a') this engine through nn and optim, as the PyTorch step is written --------------------


def nn_model(params, activations):
    """nn.Sequential of nn.Linear layers (weight (in, out)) and activation modules."""
    layers = []
    for i in range(0, len(params), 2):
        W, b = params[i], params[i + 1]
        linear = nn.Linear(W.shape[0], W.shape[1], dtype=W.dtype)
        linear.weight.data[...] = W
        linear.bias.data[...] = b
        layers.append(linear)
        if i // 2 < len(activations):
            activation = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
            layers.append(activation[activations[i // 2]]())
    return nn.Sequential(*layers)


def nn_step(model, optimizer, X, labels):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X), labels)
    loss.backward()
    optimizer.step()


# -- (b) PyTorch eager ------------------------------------------------------------------------


def torch_model(params, activations):
    layers = []
    for i in range(0, len(params), 2):
        W, b = params[i], params[i + 1]
        dtype = torch.float32 if W.dtype == np.float32 else torch.float64
        linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))  # nn.Linear keeps (out, in)
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i // 2 < len(activations):
            activation = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
            layers.append(activation[activations[i // 2]]())
    return torch.nn.Sequential(*layers)


def torch_step(model, optimizer, X, labels):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(X), labels)
    loss.backward()
    optimizer.step()


# -- (c) numpy by hand ---------------------------------------------------------------------


def numpy_grads_sigmoid_tanh(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    n = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = 1 / (1 + np.exp(-Z1))
    Z2 = A1 @ W2 + b2
    A2 = np.tanh(Z2)
    Z3 = A2 @ W3 + b3
    shifted = Z3 - Z3.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(Y * log_probs).sum() / n
    dZ3 = (np.exp(log_probs) - Y) / n
    dW3 = A2.T @ dZ3
    db3 = dZ3.sum(axis=0)
    dA2 = dZ3 @ W3.T
    dZ2 = dA2 * (1 - A2 * A2)
    dW2 = A1.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * A1 * (1 - A1)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2, dW3, db3]


def numpy_grads_relu(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    n = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2 + b2
    A2 = np.maximum(Z2, 0)
    Z3 = A2 @ W3 + b3
    shifted = Z3 - Z3.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(Y * log_probs).sum() / n
    dZ3 = (np.exp(log_probs) - Y) / n
    dW3 = A2.T @ dZ3
    db3 = dZ3.sum(axis=0)
    dA2 = dZ3 @ W3.T
    dZ2 = dA2 * (Z2 > 0)
    dW2 = A1.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * (Z1 > 0)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2, dW3, db3]


def numpy_step(grads_fn, params, X, Y, lr):
    loss, grads = grads_fn(params, X, Y)
    for p, g in zip(params, grads):
        p -= lr * g


NUMPY_GRADS = {("sigmoid", "tanh"): numpy_grads_sigmoid_tanh, ("relu", "relu"): numpy_grads_relu}


# -- the matrix library underneath --------------------------------------------------------


def blas_names() -> dict:
    """Which BLAS numpy and PyTorch call (they differ: the floor of each step is its products)."""
    names = {}
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        names["numpy"] = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except (AttributeError, KeyError, TypeError):
        names["numpy"] = None
    if torch is not None:
        config = torch.__config__.show()
        names["torch"] = "mkl" if "BLAS_INFO=mkl" in config else "openblas" if "openblas" in config.lower() else "other"
    return names


def first_layer_product_ms(sizes, batch, dtype) -> dict:
    """The step's biggest product, X @ W1 of the first layer, in numpy and in PyTorch
    (median of 200): when numpy's takes longer than PyTorch's, no numpy step, by hand or
    through an engine, can be as fast as PyTorch on that configuration."""
    rng = np.random.default_rng(1)
    X = rng.random((batch, sizes[0])).astype(dtype)
    W = rng.random((sizes[0], sizes[1])).astype(dtype)

    def median_ms(run) -> float:
        for _ in range(5):
            run()
        times = []
        for _ in range(200):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return round(1e3 * statistics.median(times), 4)

    result = {"numpy_ms": median_ms(lambda: X @ W)}
    if torch is not None:
        tX, tW = torch.from_numpy(X), torch.from_numpy(W)
        result["torch_ms"] = median_ms(lambda: tX @ tW)
        result["numpy_over_torch"] = round(result["numpy_ms"] / result["torch_ms"], 3)
    return result


# -- one configuration ------------------------------------------------------------------------


def _assert_close(actual, expected, rtol, what):
    """Close elementwise, relative to each element and to the array's scale."""
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max(), err_msg=what)


def _worst(actual, expected) -> float:
    """The largest difference over all arrays, relative to each array's scale."""
    return max(float(np.abs(a - e).max() / np.abs(e).max()) for a, e in zip(actual, expected))


def check_same_work(init, activations, X, labels, Y, grads_fn, dtype) -> dict:
    """One step of each from the same weights: same loss, same gradients, same new weights."""
    rtol = 1e-10 if dtype == "float64" else 2e-4
    params = [Tensor(p.copy(), requires_grad=True) for p in init]
    loss = engine_loss(params, activations, Tensor(X), Y)
    loss.backward()
    np_params = [p.copy() for p in init]
    np_loss, np_grads = grads_fn(np_params, X, Y)
    assert loss.dtype == np.dtype(dtype), loss.dtype
    np.testing.assert_allclose(loss.item(), np_loss, rtol=rtol)
    for i, (p, g) in enumerate(zip(params, np_grads)):
        assert p.grad.dtype == np.dtype(dtype) and g.dtype == np.dtype(dtype), (p.grad.dtype, g.dtype)
        _assert_close(p.grad, g, rtol, f"engine vs numpy, param {i}")
    worst = {"engine_vs_numpy": _worst([p.grad for p in params], np_grads)}

    floor = [minimal.Tensor(p.copy()) for p in init]
    engine_loss(floor, activations, minimal.Tensor(X), Y, engine=minimal).backward()
    for i, (p, g) in enumerate(zip(floor, np_grads)):
        _assert_close(p.grad, g, rtol, f"minimal engine vs numpy, param {i}")

    # a full step of each lands on the same weights
    params = [Tensor(p.copy(), requires_grad=True) for p in init]
    engine_step(params, activations, Tensor(X), Y, LR)
    numpy_step(grads_fn, np_params, X, Y, LR)
    for i, (p, q) in enumerate(zip(params, np_params)):
        assert p.grad is None
        _assert_close(p.data, q, rtol, f"step, param {i}")

    if torch is not None:
        model = torch_model(init, activations)
        F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(labels)).backward()
        linears = [m for m in model if isinstance(m, torch.nn.Linear)]
        torch_grads = [g for m in linears for g in (m.weight.grad.numpy().T, m.bias.grad.numpy())]
        for i, (tg, g) in enumerate(zip(torch_grads, np_grads)):
            _assert_close(tg, g, rtol, f"torch vs numpy, param {i}")
        worst["torch_vs_numpy"] = _worst(torch_grads, np_grads)
    return worst


def time_config(sizes, activations, batch, dtype) -> dict:
    X, labels, Y, init = make_problem(sizes, batch, dtype)
    grads_fn = NUMPY_GRADS[activations]
    result = {"max_rel_grad_diff": check_same_work(init, activations, X, labels, Y, grads_fn, dtype)}

    e_params = [Tensor(p.copy(), requires_grad=True) for p in init]
    e_X = Tensor(X)
    n_params = [p.copy() for p in init]
    runners = {
        "engine": lambda: engine_step(e_params, activations, e_X, Y, LR),
        "numpy": lambda: numpy_step(grads_fn, n_params, X, Y, LR),
    }
    nn_net = nn_model(init, activations)
    nn_optimizer = optim.SGD(nn_net.parameters(), lr=LR)
    runners["engine_nn"] = lambda: nn_step(nn_net, nn_optimizer, e_X, labels)
    m_params = [minimal.Tensor(p.copy()) for p in init]
    m_X = minimal.Tensor(X)
    runners["minimal"] = lambda: minimal_step(m_params, activations, m_X, Y, LR)
    if torch is not None:
        model = torch_model(init, activations)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        t_X, t_labels = torch.from_numpy(X), torch.from_numpy(labels)
        runners["torch"] = lambda: torch_step(model, optimizer, t_X, t_labels)

    times: dict = {name: [] for name in runners}
    rounds: list = []  # each round: every implementation's median step in its block
    faults = dict.fromkeys(runners, 0)
    for run in runners.values():
        for _ in range(WARMUP):
            run()
    clock = time.perf_counter
    order = list(runners.items())
    for i in range(max(1, STEPS // BLOCK)):  # blocks in turn, the order rotating each round
        block_medians = {}
        for name, run in order[i % len(order):] + order[: i % len(order)]:
            block = []
            before = _minor_faults()
            for _ in range(BLOCK):
                start = clock()
                run()
                block.append(clock() - start)
            faults[name] += _minor_faults() - before
            times[name].extend(block)
            block_medians[name] = statistics.median(block)
        rounds.append(block_medians)

    def ratio(a: str, b: str) -> float | None:
        """The median over the rounds of a's block median over b's, in that round."""
        if a not in runners or b not in runners:
            return None
        return round(statistics.median(r[a] / r[b] for r in rounds), 3)
    for name in ("engine", "engine_nn", "minimal", "torch", "numpy"):
        if name in times:
            result[f"{name}_ms"] = round(1e3 * statistics.median(times[name]), 4)
        else:
            result[f"{name}_ms"] = None
    # fresh pages faulted in per step: the cost of big temporaries the allocator gave back
    timed = len(times["engine"])
    result["minor_page_faults_per_step"] = {name: round(faults[name] / timed, 1) for name in runners}
    result["rounds"] = len(rounds)
    for a, b in [("engine", "torch"), ("engine", "numpy"), ("engine_nn", "torch"), ("engine_nn", "numpy"),
                 ("minimal", "numpy"), ("numpy", "torch")]:
        result[f"{a}_over_{b}"] = ratio(a, b)
    result["first_layer_product"] = first_layer_product_ms(sizes, batch, dtype)
    # the targets: no slower than PyTorch, within 1.15x of the hand-written numpy step
    over_torch = result["engine_over_torch"]
    within_numpy = result["engine_over_numpy"] <= 1.15
    result["meets_targets"] = within_numpy and (over_torch is None or over_torch <= 1.0)
    # the final weights stay finite: every implementation really trained
    assert all(np.isfinite(p.data).all() for p in e_params)
    assert all(np.isfinite(p).all() for p in n_params)
    return result


def main() -> None:
    start = time.perf_counter()
    load = os.getloadavg()[0]
    kept = autodiff.keep_freed_memory()
    configs = {}
    for name, sizes, activations, batch in CONFIGS:
        for dtype in DTYPES:
            configs[f"{name} {dtype}"] = time_config(sizes, activations, batch, dtype)
    report = {
        "benchmark": "tensor_sgd_step",
        "threads": THREADS,
        "keep_freed_memory": kept,
        "steps": STEPS,
        "warmup": WARMUP,
        "load_avg_1min_at_start": round(load, 2),
        "configs": configs,
        "all_targets_met": all(c["meets_targets"] for c in configs.values()),
        "errors": {"torch": TORCH_ERROR} if TORCH_ERROR else {},
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "blas": blas_names(),
        "total_s": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()

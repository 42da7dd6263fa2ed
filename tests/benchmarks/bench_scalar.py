"""Scalar engine vs micrograd 0.1.0 on micrograd's demo step; prints one JSON line.

The step (the same graph, node for node, in both engines): MLP(2, [16, 16, 1]) on 100
two-moons points, forward on all points, SVM max-margin loss + 1e-4 L2, zero_grad,
backward, SGD update, from micrograd's own initial weights (so that the losses after the
steps can be compared: equal losses mean equal gradients). This engine runs it twice: as
micrograd builds it (a node per product and sum), and with ``nn.MLP(..., fused=True)``
(one node per neuron's w . x + b). Each engine runs in its own process; median over 7
steps after 2 warm-up steps. Measured twice: as a user runs it (the cycle collector on), and with the
collector paused during each timed step in both engines (collected between steps, off
the clock), which isolates the engines' own per-node work. Also for this engine: nodes/s
on a 100k-node random expression, bytes per node while building it (tracemalloc), and
the longest chain that backprops.

A third engine, ``minimal_scalar_engine.py`` (not part of the library: three ops, no op
objects, labels, scopes or higher-order gradients), runs the same step as a floor: how
fast pure Python itself allows on this machine, against the same micrograd run.

    python tests/benchmarks/bench_scalar.py
"""

from __future__ import annotations

import gc
import json
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    half = n // 2
    X = np.r_[np.c_[np.cos(t[:half]), np.sin(t[:half])], np.c_[1 - np.cos(t[half:]), 0.5 - np.sin(t[half:])]]
    X += noise * rng.standard_normal(X.shape)
    y = np.r_[-np.ones(half), np.ones(n - half)]
    return X.tolist(), y.tolist()


def demo_step_timings(engine: str, steps: int = 7, warmup: int = 2, collector: bool = True) -> dict:
    if engine == "micrograd":
        from micrograd.engine import Value
        from micrograd.nn import MLP

        random.seed(0)
        model = MLP(2, [16, 16, 1])

        def count(root):
            seen, stack = {id(root)}, [root]
            while stack:
                for p in stack.pop()._prev:
                    if id(p) not in seen:
                        seen.add(id(p))
                        stack.append(p)
            return len(seen)

    elif engine == "minimal":
        from minimal_scalar_engine import MLP, Value, _topological_order

        random.seed(0)
        model = MLP(2, [16, 16, 1])

        def count(root):
            return len(_topological_order(root))

    else:  # this engine, plain or with fused neurons, starting from micrograd's weights
        import nn
        from autodiff import Value, topological_order
        from micrograd.nn import MLP as MicrogradMLP

        random.seed(0)
        model = nn.MLP(2, [16, 16, 1], fused=engine == "backprop-lab-fused")
        for ours, theirs in zip(model.parameters(), MicrogradMLP(2, [16, 16, 1]).parameters()):
            ours.data = theirs.data

        def count(root):
            return len(topological_order(root))

    X, y = two_moons()
    params = model.parameters()
    nodes = 0

    def step():
        nonlocal nodes
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum((p * p for p in params))
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        for p in params:
            p.data -= 0.01 * p.grad
        return total

    times = []
    for i in range(warmup + steps):
        if not collector:
            gc.disable()
        start = time.perf_counter()
        total = step()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
        if i == 0:
            nodes = count(total)
        last_loss = total.data  # after i updates: equal losses mean equal gradients too
        del total
        if not collector:
            gc.enable()
            gc.collect()  # micrograd's cyclic garbage, off the clock
    return {"median_s": statistics.median(times), "nodes": nodes, "last_loss": last_loss}


def random_expression(n_nodes: int, seed: int = 0):
    from autodiff import Value

    rng = random.Random(seed)
    pool = [Value(rng.uniform(-1, 1)) for _ in range(8)]
    made = 0
    while made < n_nodes:
        a, b = rng.choice(pool[-50:]), rng.choice(pool[-50:])
        kind = rng.randrange(5)
        node = a + b if kind == 0 else a * b if kind == 1 else a.tanh() if kind == 2 else a.relu() if kind == 3 else (a * 0.1).exp()
        made += 2 if kind == 4 else 1
        pool.append(node)
    total = pool[-1]
    for node in pool[-200:-1]:
        total = total + node
    return total


def engine_extras() -> dict:
    from autodiff import Value, topological_order

    start = time.perf_counter()
    root = random_expression(100_000)
    forward = time.perf_counter() - start
    n = len(topological_order(root))
    start = time.perf_counter()
    root.backward()
    backward = time.perf_counter() - start
    del root

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root = random_expression(100_000)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    bytes_per_node = (after - before) / len(topological_order(root))
    del root

    longest, chain_s = 0, 0.0
    for length in (10_000, 100_000, 1_000_000):
        x = Value(1.0)
        node = x
        start = time.perf_counter()
        for i in range(length):
            node = node * 1.0000001 if i % 2 else node + 0.0
        node.backward()
        chain_s = time.perf_counter() - start
        longest = length
        del node
    return {
        "nodes_per_s": n / (forward + backward),
        "bytes_per_node": round(bytes_per_node, 1),
        "longest_chain": longest,
        "longest_chain_s": round(chain_s, 2),
    }


def child(engine: str) -> dict:
    result = demo_step_timings(engine)
    result["median_s_collector_paused"] = demo_step_timings(engine, collector=False)["median_s"]
    if engine == "backprop-lab":
        result.update(engine_extras())
    return result


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--engine":
        print(json.dumps(child(sys.argv[2])))
        return
    runs = {}
    for engine in ("micrograd", "backprop-lab", "backprop-lab-fused", "minimal"):
        out = subprocess.run(
            [sys.executable, __file__, "--engine", engine], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            runs[engine] = {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
        else:
            runs[engine] = json.loads(out.stdout.strip().splitlines()[-1])
    ours, theirs, floor, fused = runs["backprop-lab"], runs["micrograd"], runs["minimal"], runs["backprop-lab-fused"]

    def ratio(slow: dict, fast: dict, key: str = "median_s") -> float | None:
        return round(slow[key] / fast[key], 2) if key in slow and key in fast else None

    def same_loss(a: dict, b: dict, rtol: float) -> bool | None:
        # the same weights and updates: equal losses after them mean equal gradients too
        if "last_loss" not in a or "last_loss" not in b:
            return None
        return abs(a["last_loss"] - b["last_loss"]) <= rtol * abs(b["last_loss"])

    report = {
        "benchmark": "scalar_demo_step",
        "backprop_lab_step_s": ours.get("median_s"),
        "micrograd_step_s": theirs.get("median_s"),
        "speedup_vs_micrograd": (
            round(theirs["median_s"] / ours["median_s"], 2) if "median_s" in ours and "median_s" in theirs else None
        ),
        "backprop_lab_step_s_collector_paused": ours.get("median_s_collector_paused"),
        "micrograd_step_s_collector_paused": theirs.get("median_s_collector_paused"),
        "speedup_vs_micrograd_collector_paused": (
            round(theirs["median_s_collector_paused"] / ours["median_s_collector_paused"], 2)
            if "median_s_collector_paused" in ours and "median_s_collector_paused" in theirs
            else None
        ),
        # this engine's speed as a fraction of the floor's (target: at least 0.75)
        "speed_vs_minimal_engine": ratio(floor, ours),
        "speed_vs_minimal_engine_collector_paused": ratio(floor, ours, "median_s_collector_paused"),
        "loss_equals_micrograd": same_loss(ours, theirs, 1e-9),
        "fused_step_s": fused.get("median_s"),
        "fused_speedup_vs_micrograd": ratio(theirs, fused),
        "fused_speedup_vs_micrograd_collector_paused": ratio(theirs, fused, "median_s_collector_paused"),
        "fused_nodes": fused.get("nodes"),
        "fused_loss_equals_micrograd": same_loss(fused, theirs, 1e-9),
        "minimal_engine_step_s": floor.get("median_s"),
        "minimal_engine_speedup_vs_micrograd": (
            round(theirs["median_s"] / floor["median_s"], 2) if "median_s" in floor and "median_s" in theirs else None
        ),
        "nodes": ours.get("nodes"),
        "micrograd_nodes": theirs.get("nodes"),
        "minimal_engine_nodes": floor.get("nodes"),
        "minimal_engine_loss_equals_micrograd": same_loss(floor, theirs, 1e-12),
        "nodes_per_s": round(ours.get("nodes_per_s", 0)),
        "bytes_per_node": ours.get("bytes_per_node"),
        "longest_chain": ours.get("longest_chain"),
        "longest_chain_s": ours.get("longest_chain_s"),
        "errors": {k: v["error"] for k, v in runs.items() if "error" in v},
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()

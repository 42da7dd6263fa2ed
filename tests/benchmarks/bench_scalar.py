"""Scalar engine vs micrograd 0.1.0 on micrograd's demo step; prints one JSON line.

The step (the same graph, node for node, in both engines): MLP(2, [16, 16, 1]) on 100
two-moons points, forward on all points, SVM max-margin loss + 1e-4 L2, zero_grad,
backward, SGD update, from micrograd's own initial weights (so that the losses after the
steps can be compared: equal losses mean equal gradients). This engine runs it twice: as
micrograd builds it (a node per product and sum), and with ``nn.MLP(..., fused=True)``
(one node per neuron's w . x + b). Each engine runs in a process of its own and is
timed in rounds: 2 warm-up steps each, then 7 rounds in which every engine takes a block
of 3 steps back to back (as in training), in an order that rotates from round to round;
a step time is the median over the rounds of the blocks' medians, a ratio the median over
the rounds of the two engines' blocks in that round, so that a busy spell of a shared
machine hits both sides of it. Then as many rounds
again with the cycle collector paused during each step in every engine (collected
after it, off the clock), which isolates the engines' own per-node work. Also for this
engine: nodes/s on a 100k-node random expression, bytes per node while building it
(tracemalloc), and the longest chain that backprops.

A third engine, ``minimal_scalar_engine.py`` (not part of the library: three ops, no op
objects, labels, scopes or higher-order gradients), runs the same step as a floor: how
fast pure Python itself allows on this machine, against the same micrograd run.

    python tests/benchmarks/bench_scalar.py
"""

from __future__ import annotations

import gc
import json
import os
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


def demo_step(engine: str):
    """The demo step of ``engine``, ready to run: ``(step, count)``, where ``step(collector)``
    runs one step (the cycle collector on, or paused during it and run after it, off the
    clock) and returns ``(seconds, loss)``, and ``count()`` is the number of nodes in the
    step's graph."""
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
    last = {}

    def forward_backward_update():
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

    def step(collector: bool) -> tuple[float, float]:
        if not collector:
            gc.disable()
        start = time.perf_counter()
        total = forward_backward_update()
        elapsed = time.perf_counter() - start
        if "nodes" not in last:
            last["nodes"] = count(total)  # off the clock
        loss = total.data  # after the same updates: equal losses mean equal gradients too
        del total  # freed now, as a training loop frees it, before the next step
        if not collector:
            gc.enable()
            gc.collect()  # micrograd's cyclic garbage, off the clock
        return elapsed, loss

    def nodes() -> int:
        return last["nodes"]

    return step, nodes


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


ENGINES = ("micrograd", "backprop-lab", "backprop-lab-fused", "minimal")
WARMUP, ROUNDS, BLOCK = 2, 7, 3


def worker(engine: str) -> None:
    """Serve one engine's steps to the parent, one line per request: ``step on`` / ``step
    off`` (collector on or paused) answer ``seconds loss``; ``nodes``; ``extras``."""
    step, nodes = demo_step(engine)
    for line in sys.stdin:
        request = line.split()
        if request[0] == "step":
            seconds, loss = step(request[1] == "on")
            answer = {"s": seconds, "loss": loss}
        elif request[0] == "nodes":
            answer = {"nodes": nodes()}
        elif request[0] == "extras":
            answer = engine_extras()
        else:
            return
        print(json.dumps(answer), flush=True)


class Worker:
    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", engine],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def ask(self, request: str) -> dict:
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            error = self.process.stderr.read().strip().splitlines()
            raise RuntimeError(f"{self.engine}: {error[-1] if error else 'the worker stopped'}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(timeout=60)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
        return
    # every engine in a process of its own; the steps taken in rounds, one step of each engine
    # per round in rotating order, so that a busy spell of the machine hits all of them alike:
    # a ratio is the median over the rounds of the two engines' steps in that round
    workers, errors = {}, {}
    for engine in ENGINES:
        try:
            w = Worker(engine)
            for _ in range(WARMUP):
                w.ask("step on")
            workers[engine] = w
        except RuntimeError as error:
            errors[engine] = str(error)
    times = {(e, mode): [] for e in workers for mode in ("on", "off")}
    losses = {}
    for mode in ("on", "off"):  # all the rounds of one mode, then of the other: a full
        # collection after every paused step would also clean up before the next unpaused one
        for r in range(ROUNDS):
            order = list(workers)[r % len(workers):] + list(workers)[: r % len(workers)]
            for engine in order:  # a block of steps back to back, as in training (warm caches)
                block = [workers[engine].ask(f"step {mode}") for _ in range(BLOCK)]
                times[engine, mode].append(statistics.median(answer["s"] for answer in block))
                losses[engine] = block[-1]["loss"]
    nodes = {engine: w.ask("nodes")["nodes"] for engine, w in workers.items()}
    extras = workers["backprop-lab"].ask("extras") if "backprop-lab" in workers else {}
    for w in workers.values():
        w.close()

    def median(engine: str, mode: str = "on") -> float | None:
        return statistics.median(times[engine, mode]) if (engine, mode) in times else None

    def ratio(slow: str, fast: str, mode: str = "on") -> float | None:
        """How many times faster ``fast`` is than ``slow``: the median of the rounds' ratios."""
        if (slow, mode) not in times or (fast, mode) not in times:
            return None
        return round(statistics.median(a / b for a, b in zip(times[slow, mode], times[fast, mode])), 2)

    def same_loss(a: str, b: str, rtol: float) -> bool | None:
        # the same weights and the same updates: equal losses after them mean equal gradients too
        if a not in losses or b not in losses:
            return None
        return abs(losses[a] - losses[b]) <= rtol * abs(losses[b])

    ours, fused, floor, theirs = "backprop-lab", "backprop-lab-fused", "minimal", "micrograd"
    report = {
        "benchmark": "scalar_demo_step",
        "rounds": ROUNDS,
        "steps_per_block": BLOCK,
        "backprop_lab_step_s": median(ours),
        "micrograd_step_s": median(theirs),
        "speedup_vs_micrograd": ratio(theirs, ours),
        "backprop_lab_step_s_collector_paused": median(ours, "off"),
        "micrograd_step_s_collector_paused": median(theirs, "off"),
        "speedup_vs_micrograd_collector_paused": ratio(theirs, ours, "off"),
        # this engine's speed as a fraction of the floor's (target: at least 0.75)
        "speed_vs_minimal_engine": ratio(floor, ours),
        "speed_vs_minimal_engine_collector_paused": ratio(floor, ours, "off"),
        "loss_equals_micrograd": same_loss(ours, theirs, 1e-9),
        "fused_step_s": median(fused),
        "fused_speedup_vs_micrograd": ratio(theirs, fused),
        "fused_speedup_vs_micrograd_collector_paused": ratio(theirs, fused, "off"),
        "fused_loss_equals_micrograd": same_loss(fused, theirs, 1e-9),
        # the fused step against the floor's (whose speed against micrograd's depends on the
        # host: how much micrograd's step loses to the collector there)
        "fused_speed_vs_minimal_engine": ratio(floor, fused),
        "minimal_engine_step_s": median(floor),
        "minimal_engine_speedup_vs_micrograd": ratio(theirs, floor),
        "minimal_engine_loss_equals_micrograd": same_loss(floor, theirs, 1e-12),
        "nodes": nodes.get(ours),
        "micrograd_nodes": nodes.get(theirs),
        "minimal_engine_nodes": nodes.get(floor),
        "fused_nodes": nodes.get(fused),
        "nodes_per_s": round(extras.get("nodes_per_s", 0)),
        "bytes_per_node": extras.get("bytes_per_node"),
        "longest_chain": extras.get("longest_chain"),
        "longest_chain_s": extras.get("longest_chain_s"),
        "load_avg_1min_at_start": round(os.getloadavg()[0], 2),
        "errors": errors,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()

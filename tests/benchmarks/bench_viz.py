"""viz rendering speed; prints one JSON line.

For each renderer (graphviz when `dot` is on PATH, and matplotlib): the time to draw
SPEC §1's worked example backward to PNG (target: well under 1 s), and a ~2,000-node
scalar MLP graph (MLP(2, [16, 16, 1]) on three points, squared-error loss) grouped by
neuron, backward, to PNG (target: under 10 s). Each time is the median of several runs
after one warm-up run, and covers the whole call: building the picture (which includes
the backward pass recorded on the side) and rendering it.

    python tests/benchmarks/bench_viz.py
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import nn  # noqa: E402
import viz  # noqa: E402
from autodiff import topological_order  # noqa: E402
from viz.demo import worked_example  # noqa: E402
from viz.render_dot import dot_available  # noqa: E402


def mlp_loss():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    points, targets = [[0.5, -1.5], [-1.0, 0.25], [0.75, 0.5]], [1.0, -1.0, 1.0]
    loss = sum((model(p) - t) ** 2 for p, t in zip(points, targets))
    loss.backward()
    return loss


def median_seconds(fn, runs: int) -> float:
    fn()  # warm-up: imports, font caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def main() -> None:
    example = worked_example()
    example.backward()
    loss = mlp_loss()
    engines = (["graphviz"] if dot_available() else []) + ["matplotlib"]
    result = {
        "benchmark": "viz",
        "python": platform.python_version(),
        "mlp_graph_nodes": len(topological_order(loss)),
        "mlp_boxes_grouped_by_neuron": len(viz.draw(loss, group="Neuron").scene.boxes),
    }
    for engine in engines:
        result[f"worked_example_backward_png_{engine}_s"] = median_seconds(
            lambda: viz.draw(example, direction="backward", engine=engine).render("png"), runs=7
        )
        result[f"mlp_grouped_backward_png_{engine}_s"] = median_seconds(
            lambda: viz.draw(loss, direction="backward", group="Neuron", engine=engine).render("png"), runs=3
        )
    result["targets_s"] = {"worked_example": 1.0, "mlp_grouped": 10.0}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

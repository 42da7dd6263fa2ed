"""viz rendering speed, and the step-through player's; prints one JSON line.

For each renderer (graphviz when `dot` is on PATH, and matplotlib): the time to draw
the worked example f = (x + y) z backward to PNG (target: well under 1 s), and a ~2,000-node
scalar MLP graph (MLP(2, [16, 16, 1]) on three points, squared-error loss) grouped by
neuron, backward, to PNG (target: under 10 s). Each time is the median of several runs
after one warm-up run, and covers the whole call: building the picture (which includes
the backward pass recorded on the side) and rendering it.

The stepper: for ``MLP(2, [4, 4, 1])`` on one input (109 graph nodes, 65 frames), the
seconds to build the HTML player from a fresh ``BackpropStepper`` (tracing, one layout,
the SVG and every frame's data; target: under 5 s) and its size in bytes (target: under
2 MB); and GIF writing in frames per second, for that MLP and for the product of 60
variables (60 frames), with each renderer (one run each: they take a while).

    python tests/benchmarks/bench_viz.py
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import nn  # noqa: E402
import viz  # noqa: E402
from autodiff import Value, topological_order  # noqa: E402
from viz.demo import worked_example  # noqa: E402
from viz.render_dot import dot_available  # noqa: E402


def mlp_loss():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    points, targets = [[0.5, -1.5], [-1.0, 0.25], [0.75, 0.5]], [1.0, -1.0, 1.0]
    loss = sum((model(p) - t) ** 2 for p, t in zip(points, targets))
    loss.backward()
    return loss


def product_of_60():
    terms = [Value(1.0 + i / 100, label=f"x{i}") for i in range(60)]
    product = terms[0]
    for term in terms[1:]:
        product = product * term
    return product


def player_build(root) -> tuple[float, int]:
    """Seconds to build the player from scratch (median of 3) and its size in bytes."""
    times, size = [], 0
    for _ in range(3):
        start = time.perf_counter()
        page = viz.BackpropStepper(root).to_html()
        times.append(time.perf_counter() - start)
        size = len(page.encode("utf-8"))
    return round(statistics.median(times), 3), size


def gif_frames_per_second(root, engine: str) -> float:
    stepper = viz.BackpropStepper(root, engine=engine)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        stepper.save_gif(Path(folder) / "steps.gif")
        seconds = time.perf_counter() - start
    return round(len(stepper) / seconds, 2)


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
    small_mlp = nn.MLP(2, [4, 4, 1], seed=0)([0.5, -1.5])
    result["player_mlp_2_4_4_1_nodes"] = len(topological_order(small_mlp))
    result["player_mlp_2_4_4_1_frames"] = len(viz.BackpropStepper(small_mlp))
    result["player_mlp_2_4_4_1_build_s"], result["player_mlp_2_4_4_1_bytes"] = player_build(small_mlp)
    chain = product_of_60()
    for engine in engines:
        result[f"gif_mlp_2_4_4_1_{engine}_frames_per_s"] = gif_frames_per_second(small_mlp, engine)
        result[f"gif_product_of_60_{engine}_frames_per_s"] = gif_frames_per_second(chain, engine)
    result["targets_s"] = {"worked_example": 1.0, "mlp_grouped": 10.0, "player_build": 5.0}
    result["target_player_bytes"] = 2_000_000
    print(json.dumps(result))


if __name__ == "__main__":
    main()

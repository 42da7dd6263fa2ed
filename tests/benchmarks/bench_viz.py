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

``viz.LiveTraining`` on micrograd's moons demo (notebook 02's recipe: ``MLP(2, [16, 16, 1])``,
100 points, the max-margin loss with its L2 term, full-batch SGD with the learning rate
falling from 1 to 0.1, 100 epochs), a snapshot every epoch: the training time with it
over the training time without it (target: under 1.2), for the plain MLP (one round) and
the fused one (a faster epoch, so a larger share; the median of two rounds), a round
being six runs, without, recording, drawing, drawing, recording, without, so that a busy
spell of the host hits both sides.
"With" is measured twice: recording only (what it costs outside Jupyter) and recording
plus drawing the SVG Jupyter shows at each snapshot (the Python side of a live notebook;
the browser draws in its own process). In the same runs, the callbacks' own seconds over
the epochs' seconds. Then the recorded player of the 100 epochs: its size (target: under
5 MB) and the seconds to build it, and the seconds to write the 101-frame GIF.

    python tests/benchmarks/bench_viz.py            # everything
    python tests/benchmarks/bench_viz.py --only live  # LiveTraining alone
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import nn  # noqa: E402
import optim  # noqa: E402
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


def micrograd_demo(fused: bool):
    """Notebook 02's recipe: the data, a fresh model and the fit arguments (100 epochs)."""
    from nn import datasets

    X, y01 = datasets.make_moons(100, noise=0.1, rng=0)
    y = 2 * y01 - 1
    model = nn.MLP(2, [16, 16, 1], seed=0, fused=fused)

    def max_margin(scores, labels):
        hinge = sum((1 - yi * si).relu() for yi, si in zip(labels, scores)) * (1.0 / len(scores))
        return hinge + nn.l2_penalty(model, lam=2e-4, include_bias=True)

    lr = optim.schedules.linear_decay(1.0, total_steps=100, lr_end=0.1)
    return X, y, model, max_margin, optim.SGD(model.parameters(), lr=lr)


def train_demo(fused: bool, mode: str) -> tuple[float, float, float, Any]:
    """(training seconds, epochs' seconds, callbacks' seconds, the LiveTraining or None) of one run;
    ``mode``: "none", "record" or "draw" (record and draw the live SVG at every snapshot)."""
    X, y, model, loss_fn, optimizer = micrograd_demo(fused)
    callbacks, live, spent = [], None, [0.0]
    if mode != "none":
        live = viz.LiveTraining(model, every=1, data=(X, y), display=False)

        def timed(record):
            start = time.perf_counter()
            live(record)
            if mode == "draw":
                live.live_svg()
            spent[0] += time.perf_counter() - start

        callbacks = [timed]
    start = time.perf_counter()
    history = nn.fit(model, loss_fn, optimizer, (X, y), epochs=100, batch_size=100, progress=False,
                     callbacks=callbacks)
    total = time.perf_counter() - start
    assert nn.evaluate(model, loss_fn, (X, y), metrics=["accuracy"])["accuracy"] == 1.0
    epochs = sum(record["seconds"] for record in history.epochs)
    return total, epochs, spent[0], live


def live_training() -> dict:
    result: dict[str, Any] = {}
    for fused, rounds in ((False, 1), (True, 2)):
        name = "fused" if fused else "plain"
        ratios: dict[str, list] = {"record": [], "draw": []}
        shares: dict[str, list] = {"record": [], "draw": []}
        plain_seconds = []
        for _ in range(rounds):  # without, record, draw, draw, record, without
            runs = [train_demo(fused, mode) for mode in ("none", "record", "draw", "draw", "record", "none")]
            without = runs[0][0] + runs[5][0]
            plain_seconds.append(without / 200)
            for mode, (first, second) in (("record", (runs[1], runs[4])), ("draw", (runs[2], runs[3]))):
                ratios[mode].append((first[0] + second[0]) / without)
                shares[mode].append((first[2] + second[2]) / (first[1] + second[1]))
            live = runs[1][3]
        for mode in ("record", "draw"):
            result[f"live_{name}_{mode}_time_ratio"] = round(statistics.median(ratios[mode]), 3)
            result[f"live_{name}_{mode}_callback_share"] = round(statistics.median(shares[mode]), 3)
        result[f"live_{name}_epoch_s"] = round(statistics.median(plain_seconds), 4)
        if not fused:
            start = time.perf_counter()
            page = live.to_html()
            result["live_player_100_epochs_build_s"] = round(time.perf_counter() - start, 2)
            result["live_player_100_epochs_bytes"] = len(page.encode("utf-8"))
            result["live_snapshots"] = len(live.snapshots)
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                live.save_gif(Path(folder) / "run.gif")
                result["live_gif_101_frames_s"] = round(time.perf_counter() - start, 2)
    result["live_targets"] = {"time_ratio": 1.2, "player_bytes": 5_000_000}
    return result


def main() -> None:
    if sys.argv[1:] == ["--only", "live"]:
        print(json.dumps({"benchmark": "viz", "python": platform.python_version(), **live_training()}))
        return
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
    result.update(live_training())
    print(json.dumps(result))


if __name__ == "__main__":
    main()

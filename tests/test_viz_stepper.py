"""viz.BackpropStepper: after step k exactly the right gradients are shown, and the user's are untouched."""

from __future__ import annotations

import io
import math
import re

import pytest
from PIL import Image

import nn
import viz
from autodiff import Value, topological_order
from viz import style
from viz.demo import worked_example


def nodes_of(root) -> dict:
    return {node.label: node for node in topological_order(root)}


def grads_shown(stepper, k, nodes) -> dict:
    return {label: stepper.grad(k, node) for label, node in nodes.items()}


def test_backward_frames_show_exactly_the_gradients_computed_so_far():
    f = worked_example()
    n = nodes_of(f)
    stepper = viz.BackpropStepper(f)
    assert len(stepper) == 3  # the seed, then the steps at f and at q
    assert grads_shown(stepper, 0, n) == {"x": None, "y": None, "q": None, "z": None, "f": 1.0}
    assert grads_shown(stepper, 1, n) == {"x": None, "y": None, "q": -4.0, "z": 3.0, "f": 1.0}
    assert grads_shown(stepper, 2, n) == {"x": -4.0, "y": -4.0, "q": -4.0, "z": 3.0, "f": 1.0}
    assert [stepper.computed(1, n[k]) for k in "xyqzf"] == [False, False, True, True, True]


def test_backward_frames_in_words_and_pictures():
    stepper = viz.BackpropStepper(worked_example())
    assert [stepper.caption(k) for k in range(3)] == [
        "step 0 of 2: start at f: df/df = 1",
        "step 1 of 2: at f (grad 1): q += 1 × -4 = -4, z += 1 × 3 = 3",
        "step 2 of 2: at q (grad -4): x += -4 × 1 = -4, y += -4 × 1 = -4",
    ]
    start = stepper.render(0).to_dot()
    assert start.count("grad: not computed yet") == 4 and "grad 1 (seed)" in start
    # the seed is known at frame 0, so the edges into * already show it: upstream × local = ?
    assert start.count("? × ") == 2 and "1 × -4 = ?" in start and "1 × 3 = ?" in start
    one = stepper.render(1)
    dot = one.to_dot()
    assert dot.count("grad: not computed yet") == 2  # x and y
    assert "grad -4" in dot and "grad 3" in dot
    # the current step's edges are highlighted and read upstream x local = downstream
    assert "<B>1 × -4 = -4</B>" in dot and "<B>1 × 3 = 3</B>" in dot
    assert dot.count("-4 × 1 = ?") == 2  # the edges into + are still to come; q's grad is known
    current = [b.key for b in one.scene.boxes if b.current]
    assert current == ["op4", "v4"]  # f and its op
    assert f'fillcolor="{style.CURRENT_FILL}"' in dot
    last = stepper.render(2).to_dot()
    assert "not computed yet" not in last
    assert "<B>-4 × 1 = -4</B>" in last and "step 2 of 2" in last
    assert stepper.render(-1).to_dot() == last
    assert [p.to_dot() for p in stepper.frames()] == [start, dot, last]


def test_stepping_never_changes_the_users_gradients():
    f = worked_example()
    nodes = topological_order(f)
    before = [node.grad for node in nodes]
    stepper = viz.BackpropStepper(f)
    for k in range(len(stepper)):
        stepper.render(k)
    assert [node.grad for node in nodes] == before == [0.0, 0.0, None, 0.0, None]
    f.backward()
    done = [node.grad for node in nodes]
    again = viz.BackpropStepper(f)  # a graph already backpropagated is not counted twice
    assert again.grad(-1, nodes[0]) == -4.0
    assert [node.grad for node in nodes] == done == [-4.0, -4.0, -4.0, 3.0, 1.0]


def test_accumulation_step_by_step():
    x = Value(2.0, label="x")
    y = x * 3 + x.tanh()
    y.label = "y"
    stepper = viz.BackpropStepper(y)
    d_tanh = 1 - math.tanh(2.0) ** 2
    shown = [stepper.grad(k, x) for k in range(len(stepper))]
    assert len(stepper) == 4  # seed, +, tanh, *
    assert shown[:2] == [None, None]
    assert shown[2] == pytest.approx(d_tanh)  # one contribution so far
    assert shown[3] == pytest.approx(d_tanh + 3)
    assert not stepper.computed(2, x) and stepper.computed(3, x)
    partial = stepper.render(2).to_dot()
    assert f"grad so far {d_tanh:.4g} (1 of 2)" in partial
    assert f"grad {d_tanh:.4g} + 3 = {d_tanh + 3:.4g}" in stepper.render(3).to_dot()


def test_frame_numbers_are_checked():
    stepper = viz.BackpropStepper(worked_example())
    with pytest.raises(IndexError, match="3 frames"):
        stepper.render(3)
    with pytest.raises(IndexError):
        stepper.render(-4)
    with pytest.raises(TypeError):
        stepper.render("1")


def test_forward_stepping():
    f = worked_example()
    n = nodes_of(f)
    stepper = viz.BackpropStepper(f, direction="forward")
    assert len(stepper) == 3
    assert [stepper.caption(k) for k in range(3)] == [
        "step 0 of 2: the inputs x = -2, y = 5, z = -4",
        "step 1 of 2: q = x + y = -2 + 5 = 3",
        "step 2 of 2: f = q * z = 3 * (-4) = -12",
    ]
    first = stepper.render(1)
    dot = first.to_dot()
    assert "data 3" in dot and "data: not computed yet" in dot and "data -12" not in dot
    assert [b.key for b in first.scene.boxes if b.current] == ["op2", "v2"]
    assert "data: not computed yet" not in stepper.render(2).to_dot()
    assert [stepper.computed(1, n[k]) for k in "xyqzf"] == [True, True, True, True, False]
    with pytest.raises(ValueError, match="forward stepper"):
        stepper.grad(1, n["x"])


def test_gif_has_one_frame_per_step_all_the_same_size(tmp_path):
    stepper = viz.BackpropStepper(worked_example(), engine="matplotlib")
    path = stepper.save_gif(tmp_path / "steps.gif", seconds_per_frame=0.5)
    gif = Image.open(path)
    assert gif.format == "GIF" and gif.n_frames == 3
    sizes = set()
    durations = []
    for k in range(gif.n_frames):
        gif.seek(k)
        sizes.add(gif.size)
        durations.append(gif.info["duration"])
    assert len(sizes) == 1 and min(next(iter(sizes))) > 200
    assert durations == [500, 500, 1000]


def test_html_player_works_without_a_kernel():
    stepper = viz.BackpropStepper(worked_example())
    page = stepper.to_html()
    assert "data:image/png" not in page  # the graph is drawn once, as SVG, not a picture per frame
    assert page.count("<svg") == 1 and "<script>" in page and "setInterval" in page
    assert "step 1 of 2: at f (grad 1): q += 1 × -4 = -4, z += 1 × 3 = 3" in page
    ids = set(re.findall(r'id="(bp[0-9a-f]+)"', page))
    assert len(ids) == 1  # one player, its own ids
    prefix = ids.pop()
    assert f'id="{prefix}-v4"' in page and f'id="{prefix}-e0"' in page  # boxes and arrows addressable
    assert stepper._repr_html_() != page  # a fresh player (new ids) each time


def test_jupyter_display_is_the_html_player(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    viz.BackpropStepper(worked_example())._ipython_display_()
    ((bundle, raw),) = shown
    assert raw and "<script>" in bundle["text/html"] and "<svg" in bundle["text/html"]
    assert bundle["text/plain"].startswith("<BackpropStepper")


def test_widget_when_ipywidgets_is_installed():
    widgets = pytest.importorskip("ipywidgets")
    player = viz.BackpropStepper(worked_example()).widget()
    assert isinstance(player, widgets.VBox)
    image, caption, controls = player.children
    slider = controls.children[-1]
    assert (slider.min, slider.max) == (0, 2)
    first = image.value
    slider.value = 2
    assert image.value != first and "step 2 of 2" in caption.value
    # the caption is shown once, beside the frame, not also drawn in it
    assert Image.open(io.BytesIO(first)).size == Image.open(io.BytesIO(image.value)).size


def test_stepping_a_grouped_mlp_neuron_by_neuron():
    model = nn.MLP(2, [4, 1], seed=0)
    out = model([1.0, -1.0])
    stepper = viz.BackpropStepper(out, group="Neuron")
    assert len(stepper) == 1 + 5  # the seed, then each of the five neurons once, the output neuron first
    current = [[b.lines[0].text for b in stepper.render(k).scene.boxes if b.current] for k in range(1, 6)]
    assert current == [["Neuron layers.1.neurons.0"]] + [[f"Neuron layers.0.neurons.{i}"] for i in (3, 2, 1, 0)]
    assert stepper.caption(1).startswith("step 1 of 5: through Neuron layers.1.neurons.0 (8 steps")
    relu = [n for n in topological_order(out) if n.op == "relu"]
    # after the output neuron every hidden neuron's output has its gradient: its weight in the output neuron
    weights = [p.data for p in model.layers[1].neurons[0].w]
    assert [stepper.grad(1, r) for r in relu] == pytest.approx(weights)
    assert [stepper.grad(0, r) for r in relu] == [None] * 4
    out.backward()
    for node in topological_order(out):  # the last frame holds exactly what backward() computes
        if node.grad is not None and node is not out:
            assert stepper.grad(-1, node) == node.grad
    dot = stepper.render(0).to_dot()
    assert "grad: not computed yet" in dot and "out: not computed yet" not in dot  # values are known backward
    png = Image.open(io.BytesIO(stepper.render(1).render("png")))
    assert png.size[0] > 200
    forward = viz.BackpropStepper(out, group="Neuron", direction="forward")
    assert len(forward) == 1 + 5 and forward.caption(1).startswith("step 1 of 5: through Neuron layers.0.neurons.0")
    assert forward.render(1).to_dot().count("out: not computed yet") == 4  # three hidden neurons and the output


def test_a_stepper_too_large_fails_at_once_naming_group(monkeypatch):
    model = nn.MLP(2, [4, 1], seed=0)
    out = model([1.0, -1.0])
    with monkeypatch.context() as patch:  # before any backward pass is traced
        patch.setattr(viz.stepper, "BackwardTrace", lambda *a: pytest.fail("traced a graph too large to draw"))
        with pytest.raises(viz.GraphTooLargeError):
            viz.BackpropStepper(out, max_nodes=10)
    with pytest.raises(viz.GraphTooLargeError, match=r"group='Neuron'") as caught:
        viz.BackpropStepper(out, max_nodes=10)
    with pytest.raises(viz.GraphTooLargeError) as drawn:
        viz.draw(out, direction="backward", max_nodes=10)
    assert str(caught.value) == str(drawn.value)  # the same message draw gives

"""Grouped and named pictures, read from what the renderers draw: a layer's neurons stacked
0..15 (graphviz's SVG and layout, matplotlib's text positions), the 256 arrows between two
hidden layers drawn light, the inputs kept as boxes when grouped by layer, captions that
promise only the edge labels drawn, and Tensor parameters titled by their module path."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import FancyArrowPatch

import nn
import viz
from autodiff import Tensor, Value
from viz import render_svg, style
from viz.placement import place

needs_dot = pytest.mark.skipif(not viz.render_dot.dot_available(), reason="graphviz's `dot` program is not installed")

NEURON = re.compile(r"Neuron layers\.(\d)\.neurons\.(\d+)$")


def hidden_mlp(inputs=(0.5, -1.0)):
    """micrograd's ``MLP(2, [16, 16, 1])`` on one input given as two labelled Values."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    xs = [Value(v, label=f"x{i}") for i, v in enumerate(inputs)]
    out = model(xs)
    out.backward()
    return model, xs, out


def neuron_rows(texts_at):
    """``{layer: [neuron index, top to bottom]}`` from ``(text, y downwards)`` pairs."""
    rows: dict[int, list[tuple[float, int]]] = {}
    for text, y in texts_at:
        found = NEURON.match(text.strip())
        if found:
            rows.setdefault(int(found[1]), []).append((y, int(found[2])))
    return {layer: [k for _, k in sorted(pairs)] for layer, pairs in rows.items()}


def svg_texts(svg: bytes):
    """Every text of a graphviz SVG with its y (downwards), the lines of a box included."""
    root = ET.fromstring(svg)
    return [("".join(t.itertext()), float(t.get("y"))) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def figure_texts(picture):
    """Every text matplotlib draws, with its y turned downwards (its axes' y grows upwards)."""
    fig = picture.figure()
    return [(t.get_text(), -t.get_position()[1]) for t in fig.axes[0].texts]


# -- (b) the neurons of a layer in their order ---------------------------------------------------


@needs_dot
def test_graphviz_stacks_each_layers_neurons_in_order():
    _, _, out = hidden_mlp()
    for direction in ("forward", "backward"):
        picture = viz.draw(out, direction, engine="graphviz", group="Neuron")
        rows = neuron_rows(svg_texts(picture.render("svg")))
        assert rows == {0: list(range(16)), 1: list(range(16)), 2: [0]}
    scene = picture.scene
    assert len(scene.sibling_runs) == 2 and [len(run) for run in scene.sibling_runs] == [16, 16]
    # the shared layout a stepper's frames use (dot's own layout of the fitted boxes) too
    placement = place([scene], "graphviz")
    titles = {b.key: b.lines[0].text for b in scene.boxes}
    rows = neuron_rows((titles[key], -y) for key, (_, y) in placement.centres.items() if key in titles)
    assert rows[0] == list(range(16)) and rows[1] == list(range(16))


def test_matplotlib_stacks_each_layers_neurons_in_order():
    _, _, out = hidden_mlp()
    picture = viz.draw(out, "backward", engine="matplotlib", group="Neuron")
    assert neuron_rows(figure_texts(picture)) == {0: list(range(16)), 1: list(range(16)), 2: [0]}


def test_sibling_runs_are_boxes_of_one_parent_reading_the_same_boxes():
    _, _, out = hidden_mlp()
    scene = viz.draw(out, group="Neuron").scene
    titles = {b.key: b.lines[0].text for b in scene.boxes}
    for layer, run in enumerate(scene.sibling_runs):
        assert [titles[key] for key in run] == [f"Neuron layers.{layer}.neurons.{k}" for k in range(16)]
    # a Tensor net's layers follow each other (one reads the other): no run to stack
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    assert viz.draw(net(Tensor(np.ones((1, 2)))).sum(), group=2).scene.sibling_runs == []


# -- (a) crowded arrows drawn light ---------------------------------------------------------------


def test_the_arrows_between_two_hidden_layers_are_faint_and_only_those():
    _, _, out = hidden_mlp()
    scene = viz.draw(out, "backward", group="Neuron").scene
    layer_of = {b.key: int(NEURON.match(b.lines[0].text)[1]) for b in scene.boxes if b.kind == "group"}
    faint = [a for a in scene.arrows if a.faint]
    assert len(faint) == 256 == scene.faint_arrows
    assert {(layer_of[a.tail], layer_of[a.head]) for a in faint} == {(0, 1)}
    solid = [a for a in scene.arrows if not a.faint]
    assert len(solid) == 2 * 16 + 16  # x0 and x1 into each first-layer neuron, 16 into the output
    # a small net stays fully drawn: 4 x 4 arrows between its hidden layers read well
    small = nn.MLP(2, [4, 4, 1], seed=0)
    assert viz.draw(small([Value(1.0), Value(-1.0)]), group="Neuron").scene.faint_arrows == 0


def test_faint_arrows_are_thin_and_light_in_every_renderer():
    _, _, out = hidden_mlp()
    picture = viz.draw(out, "backward", engine="matplotlib", group="Neuron")
    dot = picture.to_dot()
    assert dot.count(f'color="{style.FAINT_EDGE_COLOR}"') == 256
    assert dot.count(f"penwidth={style.FAINT_EDGE_WIDTH}") == 256
    arrows = [p for p in picture.figure().axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 304
    light = [p for p in arrows if to_hex(p.get_edgecolor()) == style.FAINT_EDGE_COLOR]
    assert len(light) == 256 and {p.get_linewidth() for p in light} == {style.FAINT_EDGE_WIDTH}
    assert {p.get_linewidth() for p in arrows if p not in light} == {1.0}
    states = [render_svg.arrow_state(a) for a in picture.scene.arrows]
    assert sum(1 for s in states if s[1] == style.FAINT_EDGE_COLOR and s[3] == style.FAINT_EDGE_WIDTH) == 256
    svg = render_svg.svg(picture.scene, place([picture.scene], "matplotlib"), "p")
    assert svg.count(f'stroke="{style.FAINT_EDGE_COLOR}" stroke-width="{style.FAINT_EDGE_WIDTH}"') == 256
    assert svg.count(f'fill="{style.FAINT_EDGE_COLOR}"') == 256  # their arrowheads


def test_a_stepped_neurons_arrows_are_highlighted_not_faint():
    model = nn.MLP(2, [8, 8, 1], seed=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    stepper = viz.BackpropStepper(out, group="Neuron")
    scene = stepper.render(2).scene  # the first hidden-layer-2 neuron passes its gradient back
    current = [a for a in scene.arrows if a.current]
    assert current and any(a.faint for a in current)  # arrows of the dense band...
    dot = stepper.render(2).to_dot()
    assert dot.count(f'color="{style.CURRENT_EDGE}"') >= len(current)  # ...drawn highlighted
    states = [render_svg.arrow_state(a) for a in current]
    assert all(s[1] == style.CURRENT_EDGE and s[3] == 2.2 for s in states)


# -- (c) captions that promise only what is drawn -------------------------------------------------


def chain_rule_labels(scene):
    return [a.label for a in scene.arrows if " × " in a.label and " = " in a.label]


def test_a_grouped_picture_without_edge_numbers_does_not_promise_them():
    _, _, out = hidden_mlp()
    for group in ("Neuron", "Layer"):
        scene = viz.draw(out, "backward", group=group).scene
        assert chain_rule_labels(scene) == []
        assert "upstream × local" not in scene.caption and "arrows carry no numbers" in scene.caption
        assert f"grouped by {group!r}" in scene.caption
        forward = viz.draw(out, group=group).scene
        assert "ops numbered" not in forward.caption  # no op box is drawn
    assert "256 crowded arrows in light grey" in viz.draw(out, "backward", group="Neuron").scene.caption
    layer = viz.draw(out, "backward", group="Layer").scene
    assert "×k: k edges in one arrow" in layer.caption and "×256" in [a.label for a in layer.arrows]
    exercise = viz.draw(out, "backward", group="Neuron", hide="grad").scene
    assert "upstream × local" not in exercise.caption and exercise.caption.startswith("exercise")


def test_a_partly_grouped_picture_says_which_edges_carry_numbers():
    model, xs, out = hidden_mlp()
    loss = (out - 1.0) ** 2
    loss.backward()
    scene = viz.draw(loss, "backward", group="Neuron").scene
    assert chain_rule_labels(scene)  # the loss's own ops are drawn with their chain rule
    assert "each labelled edge reads upstream × local = downstream" in scene.caption
    plain = viz.draw(Value(2.0, label="a") * Value(3.0, label="b"), "backward").scene
    assert "every edge reads upstream × local = downstream" not in plain.caption  # not backpropagated
    assert "(edges: ? × local = ?)" in plain.caption


def test_a_tensor_picture_says_its_edges_carry_gradient_shapes():
    net = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Sigmoid(), nn.Linear(8, 3, rng=1))
    y = net(Tensor(np.ones((2, 4)), label="x")).sum()
    y.backward()
    scene = viz.draw(y, "backward").scene
    assert chain_rule_labels(scene) == [] and "grad (2, 8) → (4, 8)" in [a.label for a in scene.arrows]
    assert scene.caption == "backward pass: every edge shows the shape of the gradient it carries"


# -- (d) group="Layer" keeps the inputs ------------------------------------------------------------


def test_grouping_by_layer_keeps_the_inputs_as_boxes():
    model, xs, out = hidden_mlp()
    picture = viz.draw(out, "backward", engine="matplotlib", group="Layer")
    scene = picture.scene
    values = [b for b in scene.boxes if b.kind == "value"]
    assert [b.lines[0].text for b in values] == ["x0", "x1"]
    assert [b.lines[-1].text for b in values] == [
        f"grad {viz.formatting.number(x.grad)} (sum of 16)" for x in xs
    ]
    first = next(b for b in scene.boxes if b.kind == "group")
    assert first.lines[:2] == [viz.scene.Line("Layer layers.0", "title"), viz.scene.Line("128 nodes", "note")]
    assert [(a.tail, a.head, a.label) for a in scene.arrows[:2]] == [(values[0].key, first.key, "×16"),
                                                                   (values[1].key, first.key, "×16")]
    drawn = [text for text, _ in figure_texts(picture)]
    assert "x0" in drawn and "x1" in drawn
    # a module's own parameters still join its box: every weight and bias of the model
    assert sum(int(b.lines[1].text.split()[0]) for b in scene.boxes if b.kind == "group") == (
        len(model.parameters()) + sum(1 for n in viz.scene.topological_order(out) if n.parents)
    )


@needs_dot
def test_grouping_by_layer_keeps_the_inputs_in_graphviz_too():
    _, _, out = hidden_mlp()
    texts = [text for text, _ in svg_texts(viz.draw(out, group="Layer", engine="graphviz").render("svg"))]
    assert "x0" in texts and "x1" in texts and "Layer layers.0" in texts


def test_grouping_a_tensor_net_keeps_its_input_outside():
    net = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Sigmoid(), nn.Linear(8, 3, rng=1))
    y = net(Tensor(np.ones((2, 4)), label="x")).sum()
    scene = viz.draw(y, group=1).scene
    assert [b.lines[0].text for b in scene.boxes if b.kind == "value"][0] == "x"
    assert [b.lines[:2] for b in scene.boxes if b.kind == "group"][0][1].text == "7 nodes"  # 4 parameters, 3 ops


# -- (e) Tensor nets: parameters by module path, layers by class and index --------------------------


class Stack(nn.Module):
    """Layers kept in a list attribute: parameter names read ``layers.2.bias``."""

    def __init__(self):
        self.layers = [nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def titles(scene, kind):
    return [b.lines[0].text for b in scene.boxes if b.kind == kind]


def notes(scene, kind):
    return [line.text for b in scene.boxes if b.kind == kind for line in b.lines[1:] if line.style == "note"]


def test_tensor_parameters_are_titled_by_their_module_path():
    net = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Sigmoid(), nn.Linear(8, 3, rng=1))
    y = net(Tensor(np.ones((2, 4)), label="x")).sum()
    scene = viz.draw(y, "backward").scene
    names = [name for name, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [t for t in titles(scene, "value") if t in names] == names
    assert titles(scene, "op") == ["linear", "sigmoid", "linear", "sum"]
    assert [line for line in notes(scene, "op")] == ["Linear 0", "Sigmoid 1", "Linear 2"]
    stack = Stack()
    scene = viz.draw(stack(Tensor(np.ones((1, 3)))).sum()).scene
    assert {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"} <= set(titles(scene, "value"))
    assert [n for n in notes(scene, "op") if n.startswith(("Linear", "Tanh"))] == [
        "Linear layers.0", "Tanh layers.1", "Linear layers.2"]


def test_parameter_names_are_what_both_renderers_draw():
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    y = net(Tensor(np.ones((1, 2)), label="x")).sum()
    picture = viz.draw(y, "backward", engine="matplotlib")
    drawn = [text for text, _ in figure_texts(picture)]
    dot = picture.to_dot()
    for name in ("0.weight", "0.bias", "2.weight", "2.bias", "Linear 0", "ReLU 1", "Linear 2"):
        assert name in drawn and name in dot


def test_a_label_the_user_gave_is_kept_and_the_path_shown_below_it():
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    net[0].weight.label = "W1"
    net[2].bias.label = ""  # an unlabelled parameter is titled by its path
    y = net(Tensor(np.ones((1, 2)), label="x")).sum()
    scene = viz.draw(y).scene
    w1 = next(b for b in scene.boxes if b.lines[0].text == "W1")
    assert w1.lines[1] == viz.scene.Line("0.weight", "note")
    assert "2.bias" in titles(scene, "value")
    # drawing names nothing in the model: labels and the state dict are as they were
    assert [p.label for _, p in net.named_parameters()] == ["W1", "bias", "weight", ""]
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_scalar_parameters_get_their_path_too():
    neuron = nn.Neuron(2, seed=0)
    out = neuron([Value(1.0, label="x0"), Value(2.0, label="x1")])
    scene = viz.draw(out).scene
    assert {"w.0", "w.1", "b"} <= set(titles(scene, "value"))
    assert {"x0", "x1"} <= set(titles(scene, "value"))  # inputs are not parameters: their own labels


def test_a_model_called_inside_a_scope_block_still_names_its_parameters():
    from autodiff import scope

    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    with scope("batch"):
        y = net(Tensor(np.ones((1, 2)), label="x")).sum()
    scene = viz.draw(y).scene
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= set(titles(scene, "value"))
    assert "Linear 2" in notes(scene, "op")

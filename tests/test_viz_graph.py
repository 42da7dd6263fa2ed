"""viz.to_networkx and the words of every picture (read from the DOT text): the numbers of the slides' worked
example, f = (x + y) z at x = -2, y = 5, z = -4."""

from __future__ import annotations

import math
import re

import networkx as nx
import pytest

import nn
import viz
from autodiff import Value, scope, topological_order
from viz.demo import worked_example


def by_label(graph: nx.DiGraph) -> dict[str, dict]:
    return {attrs["label"]: attrs for _, attrs in graph.nodes(data=True) if attrs["kind"] == "value"}


def key_of(graph: nx.DiGraph, label: str) -> str:
    (key,) = [k for k, a in graph.nodes(data=True) if a["kind"] == "value" and a["label"] == label]
    return key


def input_edge(graph: nx.DiGraph, parent: str, child: str) -> dict:
    """The edge from value ``parent`` into the op that made ``child``."""
    return graph.edges[key_of(graph, parent), "op" + key_of(graph, child)[1:]]


# -- to_networkx --------------------------------------------------------------------------


def test_networkx_of_the_worked_example_after_backward():
    f = worked_example()
    f.backward()
    graph = viz.to_networkx(f)
    assert isinstance(graph, nx.DiGraph)
    nodes = by_label(graph)
    assert {label: (a["op"], a["data"], a["grad"]) for label, a in nodes.items()} == {
        "x": ("", -2.0, -4.0),
        "y": ("", 5.0, -4.0),
        "z": ("", -4.0, 3.0),
        "q": ("+", 3.0, -4.0),
        "f": ("*", -12.0, 1.0),
    }
    assert all(a["shape"] is None and a["dtype"] is None for a in nodes.values())
    ops = sorted(a["op"] for _, a in graph.nodes(data=True) if a["kind"] == "op")
    assert ops == ["*", "+"]
    # the chain rule on every edge: upstream x local = contribution
    assert {k: input_edge(graph, *k)["local"] for k in [("x", "q"), ("y", "q"), ("q", "f"), ("z", "f")]} == {
        ("x", "q"): 1.0, ("y", "q"): 1.0, ("q", "f"): -4.0, ("z", "f"): 3.0,
    }
    edge = input_edge(graph, "x", "q")
    assert (edge["upstream"], edge["local"], edge["contribution"]) == (-4.0, 1.0, -4.0)
    edge = input_edge(graph, "z", "f")
    assert (edge["upstream"], edge["local"], edge["contribution"]) == (1.0, 3.0, 3.0)
    assert graph.graph == {"root": key_of(graph, "f"), "backpropagated": True}
    assert nx.is_directed_acyclic_graph(graph)
    assert graph.number_of_nodes() == 7 and graph.number_of_edges() == 6


def test_networkx_grads_are_none_until_computed():
    f = worked_example()
    graph = viz.to_networkx(f)
    assert graph.graph["backpropagated"] is False
    # a leaf's 0.0 accumulator is not a computed gradient
    assert all(attrs["grad"] is None for _, attrs in graph.nodes(data=True))
    edge = input_edge(graph, "q", "f")
    assert edge["local"] == -4.0  # known from the forward pass
    assert edge["contribution"] is None and edge["upstream"] is None


def test_networkx_edge_of_a_node_used_twice_by_one_op():
    x = Value(3.0, label="x")
    a = x * x
    a.label = "a"
    b = a + a
    b.label = "b"
    b.backward()
    graph = viz.to_networkx(b)
    edge = input_edge(graph, "a", "b")
    assert edge["positions"] == (0, 1)
    assert (edge["local"], edge["contribution"]) == (2.0, 2.0)
    edge = input_edge(graph, "x", "a")
    assert (edge["local"], edge["contribution"]) == (6.0, 12.0)
    assert by_label(graph)["x"]["grad"] == 12.0


def test_networkx_does_not_change_any_grad_and_shows_accumulation():
    f = worked_example()
    f.backward()
    f.backward()  # leaves accumulate: x.grad is now -8
    nodes = {n.label: n for n in topological_order(f)}
    assert nodes["x"].grad == -8.0
    graph = viz.to_networkx(f)
    x = by_label(graph)["x"]
    assert (x["grad"], x["stored_grad"]) == (-4.0, -8.0)
    assert nodes["x"].grad == -8.0 and nodes["q"].grad == -4.0


def test_networkx_scope_attribute():
    with scope("block"):
        a = Value(1.0, label="a") * 2
    graph = viz.to_networkx(a)
    assert by_label(graph)["a"]["scope"] == "block"


# -- the words of the pictures (DOT text) ------------------------------------------------


def edge_labels(dot: str) -> list[str]:
    return re.findall(r"-> \w+ \[label=<(?:<B>)?(.*?)(?:</B>)?>", dot)


def test_backward_dot_shows_every_chain_rule_and_grad():
    f = worked_example()
    f.backward()
    dot = viz.draw(f, direction="backward").to_dot()
    assert sorted(edge_labels(dot)) == sorted(["-4 × 1 = -4", "-4 × 1 = -4", "1 × -4 = -4", "1 × 3 = 3"])
    for line in ("grad -4", "grad 3", "grad 1 (seed)", "data -12", "data 3"):
        assert line in dot
    assert "not computed yet" not in dot
    assert "upstream × local = downstream" in dot  # the caption says how to read the edges


def test_forward_dot_shows_values_and_evaluation_order():
    dot = viz.draw(worked_example()).to_dot()
    for text in ("<B>x</B>", "data -2", "data 5", "data -4", "data 3", "data -12", "<B>+</B>", "<B>*</B>"):
        assert text in dot
    assert "#1" in dot and "#2" in dot
    assert dot.index("#1") < dot.index("#2")  # + is evaluated first
    assert "grad" not in dot.replace("forward pass", "")
    assert edge_labels(dot) == []


def test_backward_before_backward_says_not_computed_yet():
    f = worked_example()
    dot = viz.draw(f, direction="backward").to_dot()
    assert dot.count("grad: not computed yet") == 5  # the root's too: no pass has started
    assert "not backpropagated yet" in dot
    assert sorted(edge_labels(dot)) == sorted(["? × 1 = ?", "? × 1 = ?", "? × -4 = ?", "? × 3 = ?"])
    assert "grad 0" not in dot


def test_a_computed_zero_looks_different_from_not_computed():
    x = Value(-1.0, label="x")
    r = x.relu()
    r.label = "r"
    r.backward()
    dot = viz.draw(r, direction="backward").to_dot()
    assert "grad 0<" in dot and "not computed yet" not in dot
    assert "1 × 0 = 0" in edge_labels(dot)
    assert 'style="filled,rounded"' in dot and "dashed" not in dot
    fresh = x.relu()
    assert "not computed yet" in viz.draw(fresh, direction="backward").to_dot()


def test_node_used_twice_shows_each_contribution_and_the_sum():
    x = Value(3.0, label="x")
    a = x * x
    a.label = "a"
    b = a + a
    b.label = "b"
    b.backward()
    dot = viz.draw(b, direction="backward").to_dot()
    assert "grad 1 + 1 = 2" in dot
    assert "grad 6 + 6 = 12" in dot
    assert edge_labels(dot).count("1 × 1 = 1") == 2 and edge_labels(dot).count("2 × 3 = 6") == 2


def test_node_used_by_two_ops_shows_the_sum():
    x = Value(2.0, label="x")
    y = x * 3 + x.tanh()
    y.label = "y"
    y.backward()
    dot = viz.draw(y, direction="backward").to_dot()
    d_tanh = 1 - math.tanh(2.0) ** 2
    assert f"grad {d_tanh:.4g} + 3 = {3 + d_tanh:.4g}" in dot  # in the order the backward pass adds them


def test_exercise_mode_draws_blanks_but_keeps_locals():
    f = worked_example()
    dot = viz.draw(f, direction="backward", hide="grad").to_dot()
    assert dot.count("grad ____") == 4
    assert "grad 1 (seed)" in dot  # the starting point is given
    labels = sorted(edge_labels(dot))
    assert labels == sorted(["____ × 1 = ____", "____ × 1 = ____", "1 × -4 = ____", "1 × 3 = ____"])
    assert "-4 × 1 = -4" not in dot and "grad -4" not in dot
    both = viz.draw(f, direction="backward", hide=("grad", "local")).to_dot()
    assert "____ × ____ = ____" in edge_labels(both)
    with pytest.raises(ValueError, match="hide"):
        viz.draw(f, direction="backward", hide="data")


def test_bad_direction_is_rejected():
    with pytest.raises(ValueError, match="direction"):
        viz.draw(worked_example(), direction="sideways")


def test_drawing_never_changes_grads():
    f = worked_example()
    nodes = topological_order(f)
    before = [n.grad for n in nodes]
    viz.draw(f, direction="backward")
    viz.draw(f, direction="backward", hide="grad")
    assert [n.grad for n in nodes] == before == [0.0, 0.0, None, 0.0, None]
    f.backward()
    after = [n.grad for n in nodes]
    viz.draw(f, direction="backward")
    assert [n.grad for n in nodes] == after == [-4.0, -4.0, -4.0, 3.0, 1.0]


def test_accumulated_leaf_grad_is_noted():
    f = worked_example()
    f.backward()
    f.backward()
    dot = viz.draw(f, direction="backward").to_dot()
    assert "grad -4" in dot and ".grad holds -8 (accumulated)" in dot


# -- big graphs: grouping and the max_nodes guard -------------------------------------------


def mlp_output():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.5])
    out.label = "out"
    out.backward()
    return model, out


def test_max_nodes_guard_says_what_to_do():
    _, out = mlp_output()
    with pytest.raises(viz.GraphTooLargeError) as error:
        viz.draw(out)
    message = str(error.value)
    assert "max_nodes=300" in message
    assert "group='Neuron' (33 boxes)" in message and "group='Layer' (3 boxes)" in message
    assert "1,009 value nodes" in message
    assert isinstance(error.value, ValueError)


def test_max_nodes_guard_without_scopes_suggests_scopes():
    x = Value(1.0)
    for _ in range(200):
        x = x * 1.01
    with pytest.raises(viz.GraphTooLargeError, match="autodiff.scope"):
        viz.draw(x, max_nodes=100)
    assert len(viz.draw(x, max_nodes=1000).scene.boxes) == 601


def test_grouping_an_mlp_by_neuron_and_by_layer():
    model, out = mlp_output()
    picture = viz.draw(out, direction="backward", group="Neuron")
    boxes = picture.scene.boxes
    assert [b.kind for b in boxes] == ["group"] * 33
    titles = {b.lines[0].text: b for b in boxes}
    expected = [f"Neuron layers.{i}.neurons.{j}" for i, n in enumerate([16, 16, 1]) for j in range(n)]
    assert sorted(titles) == sorted(expected)
    assert boxes[0].lines[0].text == "Neuron layers.0.neurons.0"
    # each neuron's weights and bias sit in its box: 2 inputs -> 2 mul, 2 add, relu, 2 w, b, 2 x = 10
    assert boxes[0].lines[1].text == "10 nodes"
    neuron = model.layers[0].neurons[0]
    hidden = neuron([0.5, -1.5]).data
    assert boxes[0].lines[2].text == f"out {viz.formatting.number(hidden)}"
    assert titles["Neuron layers.2.neurons.0"].lines[-1].text == "grad 1 (seed)"
    # every layer-1 neuron feeds every layer-2 neuron: 16 x 16 arrows, plus 16 into the output
    assert len(picture.scene.arrows) == 16 * 16 + 16
    assert sum(int(b.lines[1].text.split()[0]) for b in boxes) == 1009
    layers = viz.draw(out, direction="backward", group="Layer").scene
    assert [b.lines[0].text for b in layers.boxes] == ["Layer layers.0", "Layer layers.1", "Layer layers.2"]
    assert [b.lines[2].text for b in layers.boxes[:2]] == ["16 outputs", "16 outputs"]
    assert [(a.tail, a.head, a.label) for a in layers.arrows] == [("g0", "g1", "×256"), ("g1", "g2", "×16")]
    depth = viz.draw(out, group=3).scene
    assert len(depth.boxes) == 33
    assert "grouped by 'Neuron'" in picture.to_dot()


def test_grouping_gathers_the_calls_of_one_module():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = sum((model(p) - t) ** 2 for p, t in [([0.5, -1.5], 1.0), ([-1.0, 0.25], -1.0)])
    picture = viz.draw(loss, group="Neuron")
    groups = [b for b in picture.scene.boxes if b.kind == "group"]
    assert len(groups) == 33  # one box per neuron, holding both calls and the shared weights
    assert groups[0].lines[0].text == "Neuron layers.0.neurons.0 (2 calls)"
    assert groups[0].lines[1].text == "17 nodes"  # 2 weights and a bias; per call 2 inputs, 2 *, 2 +, relu
    assert [b.lines[2].text for b in groups[:1]] == ["2 outputs"]
    # and per point: t, "-" and "**2" (op and value each); sum()'s 0 and its two "+"
    assert len(picture.scene.boxes) == 33 + 2 * 5 + 1 + 2 * 2


def test_grouping_keeps_calls_apart_when_one_box_per_module_would_make_a_cycle():
    a, b = nn.Neuron(1, activation="tanh", seed=0), nn.Neuron(1, activation="tanh", seed=1)
    out = a([b([a([1.0])])])  # a, then b, then a again
    picture = viz.draw(out, group="Neuron", engine="matplotlib")
    titles = [box.lines[0].text for box in picture.scene.boxes if box.kind == "group"]
    assert titles == ["Neuron (call 1 of 2)", "Neuron", "Neuron (call 2 of 2)"]
    shared = [box.lines[0].text for box in picture.scene.boxes if box.kind == "value"]
    assert len(shared) == 2  # a's weight and bias feed both of its calls: drawn on their own
    assert picture.render("png").startswith(b"\x89PNG")  # lays out: no cycle


def test_grouping_by_an_unknown_scope_names_the_ones_there_are():
    _, out = mlp_output()
    with pytest.raises(ValueError, match="scopes in this graph: MLP, Layer, Neuron"):
        viz.draw(out, group="Conv")
    with pytest.raises(ValueError, match="no node of this graph has a scope"):
        viz.draw(worked_example(), group="Neuron")

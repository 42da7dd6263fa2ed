"""Guards before the expensive work: a graph too big to draw (or to turn into networkx)
is refused before any backward trace, and max_nodes itself must be a number of boxes."""

from __future__ import annotations

import pytest

import viz
import viz.graph
import viz.picture
from autodiff import Value


def chain(n: int) -> Value:
    node = Value(1.0, label="x")
    for _ in range(n):
        node = node * 1.0001
    return node


@pytest.fixture
def no_trace(monkeypatch):
    """Make any backward trace fail: a guard that runs first never reaches it."""

    def refuse(*args, **kwargs):
        raise AssertionError("a backward trace was started before the size check")

    monkeypatch.setattr(viz.picture, "BackwardTrace", refuse)
    monkeypatch.setattr(viz.graph, "BackwardTrace", refuse)


def test_draw_backward_refuses_a_big_graph_before_tracing_it(no_trace):
    root = chain(400)
    root.backward()
    with pytest.raises(viz.GraphTooLargeError, match=r"1,201 boxes .* more than max_nodes=300"):
        viz.draw(root, direction="backward")


def test_to_networkx_refuses_a_big_graph_before_tracing_it(no_trace):
    with pytest.raises(viz.GraphTooLargeError, match="more than max_nodes=100"):
        viz.to_networkx(chain(400), max_nodes=100)


def test_to_networkx_keeps_working_below_its_limit():
    graph = viz.to_networkx(chain(400))
    assert graph.number_of_nodes() == 801 + 400  # value nodes and op nodes


@pytest.mark.parametrize("bad, error", [(float("nan"), TypeError), (True, TypeError), (2.5, TypeError),
                                        ("300", TypeError), (0, ValueError), (-5, ValueError)])
def test_max_nodes_must_be_a_whole_number_of_boxes(bad, error):
    with pytest.raises(error, match="max_nodes must be"):
        viz.draw(chain(3), max_nodes=bad)
    with pytest.raises(error, match="max_nodes must be"):
        viz.BackpropStepper(chain(3), max_nodes=bad)

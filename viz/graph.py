"""``viz.to_networkx``: the computation graph as a ``networkx.DiGraph``, numbers included.

The same nodes a picture draws: a value node ``v<i>`` for every graph node (i its place
in topological order, inputs first) and an op node ``op<i>`` for the operation that
made node i. Edges run as data flows: ``v<parent> -> op<i> -> v<i>``.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from autodiff import checks, topological_order

from . import formatting as fmt
from .scene import check_size
from .trace import BackwardTrace, can_trace


#: The most nodes (value and op nodes together) ``to_networkx`` builds unless told otherwise.
DEFAULT_MAX_GRAPH_NODES = 100_000


def to_networkx(root: Any, max_nodes: int = DEFAULT_MAX_GRAPH_NODES) -> nx.DiGraph:
    """The graph that computed ``root``, with its numbers as attributes.

    Value nodes (``kind="value"``): ``label``, ``op`` ("" for a leaf), ``data``,
    ``grad``, ``shape`` (None for a scalar), ``dtype`` (None for a scalar), ``scope``
    (the qualified scope name, e.g. "MLP.Layer.Neuron", or None), ``node`` (the graph
    node itself) and ``stored_grad`` (its ``.grad`` as it is now).
    Op nodes (``kind="op"``): ``op``, with ``label`` "", and ``data``, ``grad`` and
    ``shape`` None.

    ``grad`` is None until it has been computed: every gradient is None while the root
    has not been through a backward pass (a leaf's 0.0 accumulator included), so None
    always means "not computed yet" and 0 always means a computed 0. Once it has, ``grad``
    is d(root)/d(node) from one backward pass, recomputed on the side without changing
    any ``.grad`` (``stored_grad`` differs from it for a leaf that accumulated several
    passes).

    Input edges (``v<parent> -> op<i>``, ``kind="input"``): ``positions`` (which
    arguments of the op the parent is: ``(0, 1)`` for ``x * x``), ``local``
    (d(node i)/d(parent), known from the forward pass, summed over those positions; None
    for tensors, where it is not one number), and once gradients exist ``upstream`` (node i's gradient) and
    ``contribution`` (what this edge adds to the parent's gradient, ``upstream x local``),
    else None. Output edges (``op<i> -> v<i>``) have ``kind="output"``.
    Graph attributes: ``root`` (the root's key) and ``backpropagated``.

    ``max_nodes``: a graph of more value and op nodes than this raises
    :class:`viz.GraphTooLargeError` at once, before any work.
    """
    order = topological_order(checks.node(root, "to_networkx", "root"))
    check_size(order, None, max_nodes)
    trace = BackwardTrace(root, order=order) if can_trace(root) else None
    done = trace is not None and trace.backpropagated  # gradients exist
    index = {id(node): i for i, node in enumerate(order)}
    graph = nx.DiGraph(root=f"v{index[id(root)]}", backpropagated=root.grad is not None)
    for i, node in enumerate(order):
        data = fmt.plain(node.data)
        is_array = isinstance(data, np.ndarray)
        scope = getattr(node, "scope", None)
        graph.add_node(
            f"v{i}",
            kind="value",
            label=node.label,
            op=node.op,
            data=data,
            grad=fmt.plain(trace.grad(node)) if done else None,
            stored_grad=node.grad if done else None,
            shape=tuple(data.shape) if is_array else None,
            dtype=str(data.dtype) if is_array else None,
            scope=scope.qualname if scope is not None else None,
            node=node,
        )
        if not node.parents:
            continue
        graph.add_node(
            f"op{i}", kind="op", label="", op=node.op, data=None, grad=None, shape=None, dtype=None
        )
        graph.add_edge(f"op{i}", f"v{i}", kind="output")
        step = trace.step_of(node) if trace is not None else None
        for position, parent in enumerate(node.parents):
            key = f"v{index[id(parent)]}"
            edge = step.edges[position] if step is not None else None
            local = edge.local if edge is not None else None
            contribution = edge.contribution if edge is not None and done else None
            if graph.has_edge(key, f"op{i}"):  # the parent is another argument of the same op too
                attrs = graph.edges[key, f"op{i}"]
                attrs["positions"] += (position,)
                attrs["local"] = _add(attrs["local"], local)
                attrs["contribution"] = _add(attrs["contribution"], contribution)
                continue
            graph.add_edge(
                key,
                f"op{i}",
                kind="input",
                positions=(position,),
                local=local,
                upstream=fmt.plain(step.upstream) if step is not None and done else None,
                contribution=contribution,
            )
    return graph


def _add(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a + b

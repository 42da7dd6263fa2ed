"""A layered left-to-right layout for a DAG, deterministic, with no system program.

The classic recipe (Sugiyama's, simplified), every step iterative and every tie
broken by the order the boxes were given in, so the same graph always gets the same
picture:

1. layers: a box goes one layer right of its right-most parent (longest path from the
   inputs); a box with no parent then moves right to just before its first consumer,
   so a weight sits next to the multiply that reads it instead of at the far left;
2. long edges: an edge that skips layers gets an invisible waypoint in every layer it
   crosses, which keeps a lane free for it, so it never runs through a box;
3. order within a layer: a few sweeps of the barycenter heuristic (each box moves
   towards the mean position of its neighbours in the layers already placed), which
   removes most crossings;
4. coordinates: layers side by side, as wide as their widest box plus room for the
   arrow labels that end there; boxes stacked and centred in each layer.
"""

from __future__ import annotations

import heapq
from typing import NamedTuple, Sequence

SWEEPS = 4
LANE_HEIGHT = 10.0  # the room a long edge takes where it crosses a layer


class Layout(NamedTuple):
    """``centres[i]``: the centre of box i; ``routes[k]``: the waypoints edge k passes
    through between its ends (empty for an edge between neighbouring layers)."""

    centres: list[tuple[float, float]]
    routes: list[list[tuple[float, float]]]


def layered_layout(
    sizes: Sequence[tuple[float, float]],
    edges: Sequence[tuple[int, int]],
    label_widths: Sequence[float] = (),
    layer_gap: float = 40.0,
    box_gap: float = 18.0,
) -> Layout:
    """The layout of boxes ``0..n-1`` of ``sizes[i] = (width, height)``.

    ``edges`` are ``(tail, head)`` index pairs of a DAG, ``label_widths[k]`` the width
    of edge k's label (the gap before a layer grows to fit the labels ending there).
    y grows upwards; the picture is centred on y = 0 and starts at x = 0.
    """
    n = len(sizes)
    parents, children = _adjacency(n, edges)
    layer = _layers(n, parents, children)
    # waypoints: one extra node per layer crossed by a long edge, chained tail -> head
    all_sizes = list(sizes)
    chains: list[list[int]] = []
    chained_edges: list[tuple[int, int]] = []
    for tail, head in edges:
        chain = []
        for crossed in range(layer[tail] + 1, layer[head]):
            chain.append(len(all_sizes))
            all_sizes.append((0.0, LANE_HEIGHT))
            layer.append(crossed)
        chains.append(chain)
        points = [tail, *chain, head]
        chained_edges += list(zip(points, points[1:]))
    parents, children = _adjacency(len(all_sizes), chained_edges)
    layers = _order_in_layers(len(all_sizes), layer, parents, children)
    heads = [(head, label_widths[k] if k < len(label_widths) else 0.0) for k, (_, head) in enumerate(edges)]
    centres = _coordinates(all_sizes, heads, layer, layers, layer_gap, box_gap)
    return Layout(centres[:n], [[centres[i] for i in chain] for chain in chains])


def skipped_layers(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """For each edge ``(tail, head)`` of boxes ``0..n-1``, how many layers it crosses in this
    layout (0 between neighbouring layers): the waypoints :func:`layered_layout` gives it."""
    parents, children = _adjacency(n, edges)
    layer = _layers(n, parents, children)
    return [layer[head] - layer[tail] - 1 for tail, head in edges]


def _adjacency(n: int, edges: Sequence[tuple[int, int]]) -> tuple[list[list[int]], list[list[int]]]:
    parents: list[list[int]] = [[] for _ in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    for tail, head in edges:
        if head not in children[tail]:
            children[tail].append(head)
            parents[head].append(tail)
    return parents, children


def _topological(n: int, parents: list[list[int]], children: list[list[int]]) -> list[int]:
    """Kahn's algorithm, always taking the lowest index ready: deterministic."""
    waiting = [len(p) for p in parents]
    ready = [i for i in range(n) if waiting[i] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for child in children[i]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    if len(order) != n:
        raise ValueError("the graph to lay out has a cycle")
    return order


def _layers(n: int, parents: list[list[int]], children: list[list[int]]) -> list[int]:
    layer = [0] * n
    for i in _topological(n, parents, children):
        if parents[i]:
            layer[i] = 1 + max(layer[p] for p in parents[i])
    for i in range(n):
        if not parents[i] and children[i]:
            layer[i] = min(layer[c] for c in children[i]) - 1
    return layer


def _order_in_layers(
    n: int, layer: list[int], parents: list[list[int]], children: list[list[int]]
) -> list[list[int]]:
    count = max(layer, default=-1) + 1
    layers: list[list[int]] = [[] for _ in range(count)]
    for i in range(n):
        layers[layer[i]].append(i)
    position = [0.0] * n
    for members in layers:
        for rank, i in enumerate(members):
            position[i] = rank
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        neighbours = parents if downward else children
        sequence = range(1, count) if downward else range(count - 2, -1, -1)
        for index in sequence:
            members = layers[index]
            members.sort(key=lambda i: (_barycenter(neighbours[i], position, i), i))
            for rank, i in enumerate(members):
                position[i] = rank - (len(members) - 1) / 2  # centred, comparable across layers
    return layers


def _barycenter(neighbours: list[int], position: list[float], i: int) -> float:
    """The mean position of a box's neighbours in other layers (its own when it has none)."""
    if not neighbours:
        return position[i]
    return sum(position[j] for j in neighbours) / len(neighbours)


def _coordinates(
    sizes: Sequence[tuple[float, float]],
    heads: Sequence[tuple[int, float]],
    layer: list[int],
    layers: list[list[int]],
    layer_gap: float,
    box_gap: float,
) -> list[tuple[float, float]]:
    gap_before = [layer_gap] * len(layers)
    for head, label_width in heads:
        gap_before[layer[head]] = max(gap_before[layer[head]], label_width + layer_gap)
    centres: list[tuple[float, float]] = [(0.0, 0.0)] * len(sizes)
    x = 0.0
    for index, members in enumerate(layers):
        if not members:
            continue
        width = max(sizes[i][0] for i in members)
        if index > 0:
            x += gap_before[index]
        height = sum(sizes[i][1] for i in members) + box_gap * (len(members) - 1)
        y = height / 2
        for i in members:
            h = sizes[i][1]
            centres[i] = (x + width / 2, y - h / 2)
            y -= h + box_gap
        x += width
    return centres

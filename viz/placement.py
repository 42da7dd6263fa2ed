"""Where every box and arrow goes: one layout shared by every frame of a stepper.

A stepper's frames show the same boxes and arrows with different words ("grad: not
computed yet" becomes "grad -4"). Laying out each frame on its own makes boxes slide
and shrink from one frame to the next, so :func:`place` lays out all of them at once:

- every box gets the size of its widest text over all frames (and its most lines),
  every arrow room for its widest label, the caption band room for the widest caption;
- one layered layout of that graph gives the centres and the arrows' paths: the
  ``dot`` program's (``engine="graphviz"``), or ``viz.layout``'s (``"matplotlib"``);
- each frame is then drawn at exactly those places (matplotlib with the coordinates,
  graphviz with ``neato -n2``, which keeps given positions; the HTML player's SVG too),
  so consecutive frames differ only in the boxes and arrows whose words or highlight
  changed.

Coordinates are points (1/72 inch), y upwards, the origin at the picture's bottom left;
the caption band (when a frame has a caption) sits above ``graph_height``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Sequence

import graphviz
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path

from . import style
from .layout import layered_layout
from .scene import Box, Scene

LINE_SPACING = 1.35
PAD_X, PAD_Y = 8.0, 5.0  # points inside a box around its text
MARGIN = 16.0  # points around the picture
LABEL_PAD = 12.0  # points of room beside an arrow label
CAPTION_BAND = style.CAPTION_FONT_SIZE * 2.2
FONT = "Helvetica"  # graphviz's name; matplotlib measures with its default sans-serif (wider)


@functools.lru_cache(maxsize=8192)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` in points, in matplotlib's default sans-serif font."""
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return width


def box_size(box: Box) -> tuple[float, float]:
    """``(width, height)`` in points of a box around its lines of text."""
    widths = [text_width(line.text, style.FONT_SIZE, line.style == "title") for line in box.lines]
    width = max(widths, default=0.0) + 2 * PAD_X
    height = len(box.lines) * style.FONT_SIZE * LINE_SPACING + 2 * PAD_Y
    if box.kind == "op":  # an ellipse around the text needs about sqrt(2) times the room
        width, height = width * 1.3, height * 1.2
    return width, height


def label_width(label: str) -> float:
    """The room an arrow label takes (measured bold: the current step's labels are)."""
    return text_width(label, style.EDGE_FONT_SIZE, True) + LABEL_PAD if label else 0.0


@dataclass
class Route:
    """An arrow's path from its tail box to the tip of its arrowhead.

    ``points`` with one ``codes`` letter each, as in SVG paths: "M" (start), "L" (line to),
    "Q" (quadratic Bézier: control point, end point), "C" (cubic: two controls, end).
    ``label_at``: the centre of the arrow's label. ``dot_pos``: the same path as graphviz's
    ``pos`` attribute (set when ``dot`` made the layout).
    """

    points: list[tuple[float, float]]
    codes: str
    label_at: tuple[float, float]
    dot_pos: str = ""


@dataclass
class Placement:
    """Centres and sizes of the boxes (by key) and the routes of the arrows (in the
    scene's order), made by ``engine``'s layout; see the module docstring."""

    engine: str
    centres: dict[str, tuple[float, float]]
    sizes: dict[str, tuple[float, float]]
    arrows: list[tuple[str, str]]
    routes: list[Route]
    graph_width: float
    graph_height: float
    caption_width: float = 0.0
    keys: list[str] = field(default_factory=list)

    def canvas(self, caption: bool) -> tuple[float, float]:
        """The picture's ``(width, height)`` in points, with or without the caption band."""
        if not caption:
            return self.graph_width, self.graph_height
        return max(self.graph_width, self.caption_width + 2 * MARGIN), self.graph_height + CAPTION_BAND

    def caption_at(self) -> tuple[float, float]:
        """Where the caption starts: its left end, vertically centred in the band."""
        return MARGIN, self.graph_height + CAPTION_BAND / 2

    def fits(self, scene: Scene) -> bool:
        """Whether ``scene`` has exactly the boxes and arrows this placement was made for."""
        return [b.key for b in scene.boxes] == self.keys and [(a.tail, a.head) for a in scene.arrows] == self.arrows

    def dpi(self, wanted: float, max_pixels: int, caption: bool = True) -> float:
        """``wanted`` dpi, lowered so that the longer side stays within ``max_pixels``."""
        width, height = self.canvas(caption)
        return max(1.0, min(float(wanted), max_pixels * 72.0 / max(width, height, 1.0)))


def place(scenes: Sequence[Scene], engine: str = "matplotlib") -> Placement:
    """One layout for all ``scenes`` (the frames of one graph: same boxes, same arrows)."""
    if not scenes:
        raise ValueError("no scene to place")
    first = scenes[0]
    keys = [b.key for b in first.boxes]
    arrows = [(a.tail, a.head) for a in first.arrows]
    sizes: dict[str, tuple[float, float]] = {}
    labels: list[str] = [""] * len(arrows)
    caption = ""
    for scene in scenes:
        if [b.key for b in scene.boxes] != keys or len(scene.arrows) != len(arrows):
            raise ValueError("the scenes to place together must have the same boxes and arrows")
        for box in scene.boxes:
            w, h = box_size(box)
            old = sizes.get(box.key, (0.0, 0.0))
            sizes[box.key] = (max(old[0], w), max(old[1], h))
        for k, arrow in enumerate(scene.arrows):
            if label_width(arrow.label) > label_width(labels[k]):
                labels[k] = arrow.label
        if text_width(scene.caption, style.CAPTION_FONT_SIZE) > text_width(caption, style.CAPTION_FONT_SIZE):
            caption = scene.caption
    if engine == "graphviz":
        placement = _dot_placement(keys, first, sizes, arrows, labels)
    else:
        placement = _layered_placement(keys, sizes, arrows, labels)
    placement.caption_width = text_width(caption, style.CAPTION_FONT_SIZE) if caption else 0.0
    placement.keys = keys
    return placement


# -- viz.layout's layered layout ------------------------------------------------------


def _layered_placement(keys, sizes, arrows, labels) -> Placement:
    index = {key: i for i, key in enumerate(keys)}
    box_sizes = [sizes[key] for key in keys]
    edges = [(index[t], index[h]) for t, h in arrows]
    centres, waypoints = layered_layout(box_sizes, edges, [label_width(text) for text in labels])
    left = min((x - w / 2 for (x, _), (w, _) in zip(centres, box_sizes)), default=0.0)
    right = max((x + w / 2 for (x, _), (w, _) in zip(centres, box_sizes)), default=0.0)
    bottom = min((y - h / 2 for (_, y), (_, h) in zip(centres, box_sizes)), default=0.0)
    top = max((y + h / 2 for (_, y), (_, h) in zip(centres, box_sizes)), default=0.0)
    dx, dy = MARGIN - left, MARGIN - bottom
    placed = {key: (x + dx, y + dy) for key, (x, y) in zip(keys, centres)}
    siblings: dict[tuple[str, str], list[int]] = {}
    for k, pair in enumerate(arrows):
        siblings.setdefault(pair, []).append(k)
    routes = []
    for k, (tail, head) in enumerate(arrows):
        (x0, y0), (w0, _) = placed[tail], sizes[tail]
        (x1, y1), (w1, _) = placed[head], sizes[head]
        start, end = (x0 + w0 / 2, y0), (x1 - w1 / 2, y1)
        via = [(x + dx, y + dy) for x, y in waypoints[k]]
        if via:  # a long edge through the lanes kept free for it; its label on the last stretch
            (ax, ay) = via[-1]
            routes.append(Route([start, *via, end], "M" + "L" * (len(via) + 1), ((ax + end[0]) / 2, (ay + end[1]) / 2)))
            continue
        bundle = siblings[(tail, head)]
        bend = (bundle.index(k) - (len(bundle) - 1) / 2) * 0.35  # arrows between the same two boxes
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        if bend == 0:
            routes.append(Route([start, end], "ML", (mx, my)))
            continue
        ddx, ddy = end[0] - start[0], end[1] - start[1]
        control = (mx + bend * ddy, my - bend * ddx)  # matplotlib's arc3 control point
        routes.append(Route([start, control, end], "MQQ", (mx + bend * ddy / 2, my - bend * ddx / 2)))
    return Placement("matplotlib", placed, dict(sizes), list(arrows), routes,
                     right - left + 2 * MARGIN, top - bottom + 2 * MARGIN)


# -- the dot program's layout -----------------------------------------------------------


def _dot_placement(keys, first: Scene, sizes, arrows, labels) -> Placement:
    """``dot`` lays out boxes of the fitted sizes (fixedsize) with the widest labels."""
    graph = graphviz.Digraph(
        "layout",
        graph_attr={"rankdir": "LR", "nodesep": "0.25", "ranksep": "0.45"},
        node_attr={"fixedsize": "true", "label": "", "fontname": FONT},
        edge_attr={"fontname": FONT, "fontsize": str(style.EDGE_FONT_SIZE)},
    )
    kinds = {b.key: b.kind for b in first.boxes}
    for key in keys:
        w, h = sizes[key]
        graph.node(key, shape="ellipse" if kinds[key] == "op" else "box", width=f"{w / 72:.4f}",
                   height=f"{h / 72:.4f}")
    for k, ((tail, head), label) in enumerate(zip(arrows, labels)):
        attrs = {"label": f"<<B>{_html(label)}</B>>"} if label else {}
        graph.edge(tail, head, id=f"a{k}", **attrs)
    for run in first.sibling_runs:  # a layer's neurons stacked 0..n-1 (see render_dot.keep_order)
        graph.body.append("\t{rank=same; " + " -> ".join(run) + " [style=invis]}\n")
    layout = json.loads(graphviz.Source(graph.source).pipe(format="json0", quiet=True))
    x0, y0, x1, y1 = (float(v) for v in layout["bb"].split(","))
    centres = {}
    for obj in layout.get("objects", []):
        if "pos" not in obj:
            continue  # a subgraph: a run of siblings kept in order
        x, y = (float(v) for v in obj["pos"].split(","))
        centres[obj["name"]] = (x - x0 + MARGIN, y - y0 + MARGIN)
    edges = {edge["id"]: edge for edge in layout.get("edges", []) if "id" in edge}  # not the invisible ones
    routes = [_dot_route(edges[f"a{k}"], -x0 + MARGIN, -y0 + MARGIN) for k in range(len(arrows))]
    return Placement("graphviz", centres, dict(sizes), list(arrows), routes,
                     x1 - x0 + 2 * MARGIN, y1 - y0 + 2 * MARGIN)


def _dot_route(edge: dict, dx: float, dy: float) -> Route:
    """A dot spline ``e,tip p0 p1 p2 p3 ...`` (cubic B-spline pieces) as a Route, shifted."""
    tip = None
    points: list[tuple[float, float]] = []
    for token in edge["pos"].split():
        parts = token.split(",")
        if parts[0] == "e":
            tip = (float(parts[1]) + dx, float(parts[2]) + dy)
        elif parts[0] == "s":
            continue
        else:
            points.append((float(parts[0]) + dx, float(parts[1]) + dy))
    codes = "M" + "C" * (len(points) - 1)
    pos = " ".join(f"{x:.2f},{y:.2f}" for x, y in points)
    if tip is not None:
        pos = f"e,{tip[0]:.2f},{tip[1]:.2f} " + pos
        points.append(tip)
        codes += "L"
    if "lp" in edge:
        lx, ly = (float(v) for v in edge["lp"].split(","))
        label_at = (lx + dx, ly + dy)
    else:
        middle = points[len(points) // 2]
        label_at = middle
    return Route(points, codes, label_at, pos)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

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
import math
from dataclasses import dataclass, field
from typing import Sequence

import graphviz
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path

from . import style
from .layout import layered_layout, skipped_layers
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
    rows: int = 1  # > 1: a long graph wrapped into rows, see ``wrap``

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
    placement = wrap(placement, labels)
    placement.caption_width = text_width(caption, style.CAPTION_FONT_SIZE) if caption else 0.0
    placement.keys = keys
    return placement


#: ``dot`` routes an arrow that skips k layers through k virtual nodes, and a labelled one through
#: more, and its crossing minimisation grows steeply with them: a leaf read by every op of a long
#: chain (``x + x + ... + x`` of 50 terms, ``h = tanh(h * x + x)`` 25 times) kept it busy for
#: minutes. Past this many skipped layers on labelled arrows, ``dot`` only draws viz.layout's
#: layout (``neato -n2``).
DOT_SKIPPED_LAYERS = 1000


def too_slow_for_dot(scenes: Sequence[Scene]) -> bool:
    """Whether ``dot`` would take long to lay out ``scenes`` (the frames of one graph): their
    labelled arrows skip more than ``DOT_SKIPPED_LAYERS`` layers in all."""
    first = scenes[0]
    index = {box.key: i for i, box in enumerate(first.boxes)}
    edges = [(index[a.tail], index[a.head]) for a in first.arrows]
    labelled = [any(scene.arrows[k].label for scene in scenes) for k in range(len(edges))]
    skipped = skipped_layers(len(index), edges)
    return sum(n for n, has_label in zip(skipped, labelled) if has_label) > DOT_SKIPPED_LAYERS


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
            routes.append(Route([start, *via, end], "M" + "L" * (len(via) + 1), end))
            continue
        bundle = siblings[(tail, head)]
        bend = (bundle.index(k) - (len(bundle) - 1) / 2) * 0.35  # arrows between the same two boxes
        if bend == 0:
            routes.append(Route([start, end], "ML", end))
            continue
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ddx, ddy = end[0] - start[0], end[1] - start[1]
        control = (mx + bend * ddy, my - bend * ddx)  # matplotlib's arc3 control point
        routes.append(Route([start, control, end], "MQQ", end))
    boxes = [_rect(placed[key], sizes[key]) for key in keys]
    taken: list[tuple[float, float, float, float]] = []
    lines = [_polyline(route) for route in routes]
    for k, (route, text) in enumerate(zip(routes, labels)):
        route.label_at = _label_beside(route, label_size(text), boxes, taken, lines=lines[:k] + lines[k + 1:])
    return Placement("matplotlib", placed, dict(sizes), list(arrows), routes,
                     right - left + 2 * MARGIN, top - bottom + 2 * MARGIN)


# -- a long graph wrapped into rows ------------------------------------------------------

#: A picture at most this wide (points) stays one row: it fits a slide or a notebook cell.
WRAP_WIDTH = 1100.0
#: Wider ones are cut into rows until the whole is closest to a slide, between these ratios.
SLIDE_RATIOS = (4 / 3, 16 / 9)
MAX_ROWS = 12
ROW_GAP = 40.0  # points between two rows, room for the arrows that run from one to the next
MAX_CUT_ARROWS = 2  # a graph is only cut where at most this many arrows run from one row to the next


def wrap(placement: Placement, labels: Sequence[str] = ()) -> Placement:
    """A left-to-right placement too wide for a slide, cut into rows like a snake.

    A long chain laid out left to right is a strip (60 products: 8000 x 100 points). It is
    cut at vertical lines that cross no box, into the number of rows whose picture is
    closest to a slide's shape (``SLIDE_RATIOS``, width : height); the rows are stacked
    top to bottom and every second one is mirrored, so it runs right to left and the
    arrow from the end of one row to the start of the next is a short drop. Arrows within
    a row keep their path (mirrored with it); arrows between rows are drawn anew, as a
    curve down from the tail to the head. Only lines crossed by at most ``MAX_CUT_ARROWS``
    arrows are cuts (a chain's links; a wide net whose layers are joined by many arrows is
    left whole: cut, it would be a tangle). A placement that already fits is returned as it is.
    """
    width, height = placement.graph_width, placement.graph_height
    if width <= WRAP_WIDTH or width / height <= SLIDE_RATIOS[1] or not placement.centres:
        return placement
    spans = sorted((x - w / 2, x + w / 2) for (x, _), (w, _) in
                   ((placement.centres[k], placement.sizes[k]) for k in placement.centres))
    cuts: list[float] = []  # x positions that cross no box: the middles of the free gaps
    reach = spans[0][1]
    for left, right in spans[1:]:
        if left > reach:
            cuts.append((reach + left) / 2)
        reach = max(reach, right)
    left_end, right_end = spans[0][0], reach
    crossing = _crossings(placement, cuts)
    cuts = [c for c in cuts if crossing[c] <= MAX_CUT_ARROWS]  # a chain, not a wide net's layers
    best, best_score = None, _ratio_score(width / height)
    for rows in range(2, MAX_ROWS + 1):
        chosen = _cuts_for(cuts, crossing, left_end, right_end, rows)
        if chosen is None:
            continue
        w, h = _wrapped_size(placement, chosen, left_end, right_end)
        score = _ratio_score(w / h)
        if score < best_score - 1e-9:
            best, best_score = chosen, score
    if best is None:
        return placement
    return _wrapped(placement, best, left_end, right_end, labels)


def wrap_needed(placement: Placement) -> bool:
    """Whether ``placement`` is (or, unwrapped, would be) cut into rows by :func:`wrap`."""
    return placement.rows > 1


def _ratio_score(ratio: float) -> float:
    """How far a width : height ratio is from a slide's (0 between 4:3 and 16:9), in log terms."""
    low, high = SLIDE_RATIOS
    return max(0.0, math.log(low / ratio), math.log(ratio / high))


def _crossings(placement: Placement, cuts: list[float]) -> dict[float, int]:
    """How many arrows each cut line crosses (each becomes an arrow between two rows)."""
    count = dict.fromkeys(cuts, 0)
    spans = []
    for (tail, head), route in zip(placement.arrows, placement.routes):
        xs = [placement.centres[tail][0], placement.centres[head][0], *(x for x, _ in route.points)]
        spans.append((min(xs), max(xs)))
    for c in cuts:
        count[c] = sum(1 for lo, hi in spans if lo < c < hi)
    return count


def _cuts_for(cuts: list[float], crossing: dict[float, int], left: float, right: float,
              rows: int) -> list[float] | None:
    """``rows - 1`` of the free cut lines, each near an even share of the width (within a
    quarter of a row), crossing as few arrows as can be."""
    if len(cuts) < rows - 1:
        return None
    share = (right - left) / rows
    chosen: list[float] = []
    for k in range(1, rows):
        target = left + share * k
        free = [c for c in cuts if not chosen or c > chosen[-1] + share / 2]
        if not free:
            return None
        near = [c for c in free if abs(c - target) <= share / 4]
        if not near:  # rows this unequal would not fit a slide any better
            return None
        chosen.append(min(near, key=lambda c: (crossing[c], abs(c - target))))
    return chosen


def _row_of(x: float, cuts: list[float]) -> int:
    return sum(1 for c in cuts if x > c)


def _row_extents(placement: Placement, cuts: list[float], left: float, right: float):
    """Per row: its x range (cut to cut) and the y range of its boxes."""
    bounds = [left, *cuts, right]
    lows = [math.inf] * (len(cuts) + 1)
    highs = [-math.inf] * (len(cuts) + 1)
    for key, (x, y) in placement.centres.items():
        row = _row_of(x, cuts)
        h = placement.sizes[key][1]
        lows[row], highs[row] = min(lows[row], y - h / 2), max(highs[row], y + h / 2)
    return [(bounds[r], bounds[r + 1], lows[r], highs[r]) for r in range(len(cuts) + 1)]


def _wrapped_size(placement: Placement, cuts: list[float], left: float, right: float) -> tuple[float, float]:
    rows = [row for row in _row_extents(placement, cuts, left, right) if row[2] <= row[3]]
    width = max(x1 - x0 for x0, x1, _, _ in rows) + 2 * MARGIN
    height = sum(y1 - y0 for _, _, y0, y1 in rows) + ROW_GAP * (len(rows) - 1) + 2 * MARGIN
    return width, height


def _wrapped(placement: Placement, cuts: list[float], left: float, right: float, labels: Sequence[str]) -> Placement:
    rows = _row_extents(placement, cuts, left, right)
    row_width = max(x1 - x0 for x0, x1, _, _ in rows)
    width, height = _wrapped_size(placement, cuts, left, right)
    tops, top = [], height - MARGIN
    for _, _, y0, y1 in rows:
        tops.append(top)
        if y0 <= y1:
            top -= (y1 - y0) + ROW_GAP

    def move(point: tuple[float, float], row: int) -> tuple[float, float]:
        x0, _, _, y1 = rows[row]
        u = point[0] - x0
        x = MARGIN + (u if row % 2 == 0 else row_width - u)
        return x, tops[row] - (y1 - point[1])

    centres = {key: move(c, _row_of(c[0], cuts)) for key, c in placement.centres.items()}
    routes = []
    boxes = [_rect(centres[key], placement.sizes[key]) for key in centres]
    taken: list = []
    redrawn = []
    for k, ((tail, head), route) in enumerate(zip(placement.arrows, placement.routes)):
        row = _row_of(placement.centres[tail][0], cuts)
        same = all(_row_of(x, cuts) == row for x, _ in [placement.centres[head], *route.points])
        if same:
            points = [move(p, row) for p in route.points]
            moved = Route(points, route.codes, move(route.label_at, row))
            if route.dot_pos:
                moved.dot_pos = _dot_pos(moved)
            routes.append(moved)
            taken.append(_rect(moved.label_at, label_size(labels[k] if k < len(labels) else "")))
            continue
        redrawn.append(k)
        routes.append(_between_rows(centres, placement.sizes, tail, head, bool(route.dot_pos)))
    middle = (width / 2, height / 2)
    lines = [_polyline(route) for route in routes]
    for k in redrawn:  # their labels beside them, on the side towards the middle of the picture
        size = label_size(labels[k] if k < len(labels) else "")
        routes[k].label_at = _label_beside(routes[k], size, boxes, taken, towards=middle,
                                           lines=lines[:k] + lines[k + 1:])
    return Placement(placement.engine, centres, placement.sizes, placement.arrows, routes, width, height,
                     placement.caption_width, placement.keys, len(rows))


def _between_rows(centres, sizes, tail: str, head: str, dot: bool) -> Route:
    """An arrow from a box down to a box in a later row: out of the tail's bottom, into the
    head's top, a cubic curve leaving and arriving vertically."""
    (x0, y0), (_, h0) = centres[tail], sizes[tail]
    (x1, y1), (_, h1) = centres[head], sizes[head]
    start, tip = (x0, y0 - h0 / 2), (x1, y1 + h1 / 2)
    end = (tip[0], tip[1] + 1.0)  # the curve ends just above the tip: the arrowhead points down
    drop = max(20.0, (start[1] - end[1]) / 2)
    points = [start, (start[0], start[1] - drop), (end[0], end[1] + drop), end, tip]
    route = Route(points, "MCCCL", ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2))
    if dot:
        route.dot_pos = _dot_pos(route)
    return route


ARROWHEAD = 10.0  # points: the length of graphviz's arrowhead, drawn from a spline's end to its tip


def as_dot_pos(route: Route) -> str:
    """Any route as graphviz's ``pos`` (``e,tip`` then cubic B-spline points), so ``dot``
    draws an arrow of ``viz.layout``'s placement along the same path: lines and quadratic
    curves become cubic pieces, the last one ending an arrowhead short of the tip."""
    if route.dot_pos:
        return route.dot_pos
    if route.codes.endswith("L") and "C" in route.codes:
        return _dot_pos(route)
    points, codes = route.points, route.codes
    spline = [points[0]]
    i = 1
    while i < len(points):
        a = spline[-1]
        if codes[i] == "Q":
            c, b = points[i], points[i + 1]
            spline += [(a[0] + 2 / 3 * (c[0] - a[0]), a[1] + 2 / 3 * (c[1] - a[1])),
                       (b[0] + 2 / 3 * (c[0] - b[0]), b[1] + 2 / 3 * (c[1] - b[1])), b]
            i += 2
        else:
            b = points[i]
            spline += [(a[0] + (b[0] - a[0]) / 3, a[1] + (b[1] - a[1]) / 3),
                       (a[0] + 2 * (b[0] - a[0]) / 3, a[1] + 2 * (b[1] - a[1]) / 3), b]
            i += 1
    tip, before = spline[-1], spline[-2]
    length = math.hypot(tip[0] - before[0], tip[1] - before[1]) or 1.0
    shorten = min(ARROWHEAD, 0.9 * length)
    end = (tip[0] - (tip[0] - before[0]) / length * shorten, tip[1] - (tip[1] - before[1]) / length * shorten)
    spline[-1] = end
    pos = " ".join(f"{x:.2f},{y:.2f}" for x, y in spline)
    return f"e,{tip[0]:.2f},{tip[1]:.2f} {pos}"


def _dot_pos(route: Route) -> str:
    """A route as graphviz's ``pos``: ``e,tip`` then the spline's points."""
    points, tip = route.points, None
    if route.codes.endswith("L") and "C" in route.codes:
        points, tip = route.points[:-1], route.points[-1]
    pos = " ".join(f"{x:.2f},{y:.2f}" for x, y in points)
    return f"e,{tip[0]:.2f},{tip[1]:.2f} {pos}" if tip is not None else pos


# -- arrow labels beside their arrows ---------------------------------------------------

LABEL_CLEARANCE = 2.5  # points between an arrow and the box of its label
ALONG = (0.5, 0.35, 0.65, 0.22, 0.78)  # where along an arrow its label may go, best first


def label_size(label: str) -> tuple[float, float]:
    """The ``(width, height)`` of an arrow label's box as drawn (white, padded)."""
    if not label:
        return 0.0, 0.0
    pad = 2 * 0.15 * style.EDGE_FONT_SIZE  # the renderers' box padding on both sides
    return text_width(label, style.EDGE_FONT_SIZE, True) + pad + 2, style.EDGE_FONT_SIZE * 1.25 + pad


def _rect(centre: tuple[float, float], size: tuple[float, float]) -> tuple[float, float, float, float]:
    (x, y), (w, h) = centre, size
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _point_on(route: Route, t: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The point at ``t`` (0..1) along the arrow's last stretch, and the direction there."""
    points = route.points
    if route.codes.endswith("CCCL"):  # a cubic Bézier (start, two controls, end), then the tip
        p0, p1, p2, p3 = points[-5:-1]
        u = 1 - t
        x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
        y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
        tx = 3 * u * u * (p1[0] - p0[0]) + 6 * u * t * (p2[0] - p1[0]) + 3 * t * t * (p3[0] - p2[0])
        ty = 3 * u * u * (p1[1] - p0[1]) + 6 * u * t * (p2[1] - p1[1]) + 3 * t * t * (p3[1] - p2[1])
        return (x, y), (tx, ty)
    if route.codes.endswith("QQ"):  # a quadratic Bézier: start, control, end
        (ax, ay), (cx, cy), (bx, by) = points[-3:]
        x = (1 - t) ** 2 * ax + 2 * (1 - t) * t * cx + t * t * bx
        y = (1 - t) ** 2 * ay + 2 * (1 - t) * t * cy + t * t * by
        return (x, y), (2 * (1 - t) * (cx - ax) + 2 * t * (bx - cx), 2 * (1 - t) * (cy - ay) + 2 * t * (by - cy))
    (ax, ay), (bx, by) = points[-2], points[-1]
    return (ax + t * (bx - ax), ay + t * (by - ay)), (bx - ax, by - ay)


def _polyline(route: Route) -> tuple[tuple[float, float, float, float], list[tuple[float, float]]]:
    """An arrow as straight pieces (curves sampled), with the rectangle around them."""
    points: list[tuple[float, float]] = [route.points[0]]
    codes, i = route.codes, 1
    while i < len(route.points):
        if codes[i] == "Q":
            a, c, b = points[-1], route.points[i], route.points[i + 1]
            points += [((1 - t) ** 2 * a[0] + 2 * (1 - t) * t * c[0] + t * t * b[0],
                        (1 - t) ** 2 * a[1] + 2 * (1 - t) * t * c[1] + t * t * b[1]) for t in _SAMPLES]
            i += 2
        elif codes[i] == "C" and i + 2 < len(route.points):
            a, c, d, b = points[-1], route.points[i], route.points[i + 1], route.points[i + 2]
            points += [((1 - t) ** 3 * a[0] + 3 * (1 - t) ** 2 * t * c[0] + 3 * (1 - t) * t * t * d[0] + t**3 * b[0],
                        (1 - t) ** 3 * a[1] + 3 * (1 - t) ** 2 * t * c[1] + 3 * (1 - t) * t * t * d[1] + t**3 * b[1])
                       for t in _SAMPLES]
            i += 3
        else:
            points.append(route.points[i])
            i += 1
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return (min(xs), min(ys), max(xs), max(ys)), points


_SAMPLES = [k / 10 for k in range(1, 11)]


def _crosses(rect, line) -> bool:
    """Whether a polyline (``_polyline``) enters the rectangle ``(x0, y0, x1, y1)``."""
    bounds, points = line
    if not _overlaps(rect, bounds) and not (bounds[0] == bounds[2] or bounds[1] == bounds[3]):
        return False
    x0, y0, x1, y1 = rect
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        low, high = 0.0, 1.0  # Liang-Barsky: the part of the segment inside the rectangle
        for p, q in ((-(bx - ax), ax - x0), (bx - ax, x1 - ax), (-(by - ay), ay - y0), (by - ay, y1 - ay)):
            if p == 0:
                if q < 0:
                    break
                continue
            r = q / p
            if p < 0:
                low = max(low, r)
            else:
                high = min(high, r)
            if low > high:
                break
        else:
            return True
    return False


def _label_beside(route: Route, size: tuple[float, float], boxes: list, taken: list,
                  towards: tuple[float, float] | None = None, lines: Sequence = ()) -> tuple[float, float]:
    """Where an arrow's label goes: beside the arrow, never on it.

    The label's box is moved off the line along the normal n by the distance that keeps a
    w x h box clear of it, ``w/2 |n_x| + h/2 |n_y|`` plus a little room, to the outer side of
    a fan of arrows into one box (above a level arrow; towards the point ``towards`` when
    given). The first spot along the arrow
    (the middle, then nearer either end) that covers no box, no other arrow and no label
    placed before is taken; when every spot is covered, the one crossing the fewest arrows.
    """
    w, h = size
    fallback: list = []
    if w == 0:
        return _point_on(route, 0.5)[0]
    start, end = route.points[0], route.points[-1]
    bent = route.codes.endswith("QQ")
    for t in (0.5,) if bent else ALONG:
        (x, y), (tx, ty) = _point_on(route, t)
        length = math.hypot(tx, ty) or 1.0
        nx, ny = -ty / length, tx / length  # the left normal
        if towards is not None:
            outer = 1.0 if nx * (towards[0] - x) + ny * (towards[1] - y) >= 0 else -1.0
        elif bent:  # away from the chord: the side the arrow bulges to
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            outer = 1.0 if nx * (x - mx) + ny * (y - my) >= 0 else -1.0
        else:  # the side away from the head's centre line, above when level
            rise = start[1] - end[1]
            outer = 1.0 if (ny >= 0) == (rise >= -1e-6) else -1.0
        distance = w / 2 * abs(nx) + h / 2 * abs(ny) + LABEL_CLEARANCE
        for side in (outer, -outer):
            cx, cy = x + side * nx * distance, y + side * ny * distance
            rect = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            conflicts = (sum(_crosses(rect, line) for line in lines),
                         sum(_overlaps(rect, o) for o in boxes) + sum(_overlaps(rect, o) for o in taken))
            if conflicts == (0, 0):
                taken.append(rect)
                return cx, cy
            fallback.append((conflicts, len(fallback), (cx, cy), rect))
    _, _, at, rect = min(fallback)  # every spot covered: the one crossing the fewest arrows, then boxes
    taken.append(rect)
    return at


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

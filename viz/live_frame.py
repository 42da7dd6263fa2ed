"""One frame of ``viz.LiveTraining``: a snapshot as a list of drawing elements at fixed places.

``LiveLayout`` places everything once, from the network's shape alone: one column per
layer (the inputs first), one circle per unit (a grid of small squares for a layer of
more than 24 units; one square per block of units beyond 300), one line per weight (a
grey band for more than 1,024 weights between two layers), and beside the network one
row of histograms per layer (activations, weights and biases, gradients); below them
the loss and learning-rate curves against the step and the decision boundary.
``frame(...)`` then gives the elements of one snapshot: the same elements, in the same
order, at the same places, frame after frame; only colours, widths, heights, texts and
the curves' points change (``viz.live_render`` draws them as SVG or PNG, and the player
restyles what changed).
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from . import live_style as ls
from .live_probe import BOUNDED, LayerSnapshot, Network, Snapshot

CIRCLE_UNITS = 24  # at most this many units drawn as circles; more as a grid of squares
MAX_UNITS_DRAWN = 300  # beyond this, one square per block of units
MAX_EDGES_DRAWN = 1024  # more weights between two layers are drawn as one band
UNITS_HEIGHT = 360.0
COLUMN_GAP = 130.0  # between two layers whose weights are drawn as lines
BAND_GAP = 88.0  # between two layers whose weights are drawn as one band
PAD = 12.0
HEADER = 34.0
TITLES = 44.0
HIST_W, HIST_GAP, HIST_BARS_H = 150.0, 12.0, 30.0
SATURATED = 0.9  # a unit saturated on at least this share of rows is marked "S"


class El:
    """One drawing element: an SVG tag, its attributes (strings), and its text (a ``<text>``'s
    content, or the tooltip of a shape)."""

    __slots__ = ("tag", "attrs", "text")

    def __init__(self, tag: str, attrs: dict[str, str], text: str | None = None) -> None:
        self.tag, self.attrs, self.text = tag, attrs, text

    def __repr__(self) -> str:
        return f"El({self.tag!r}, {self.attrs!r}, {self.text!r})"


def f1(value: float) -> str:
    return f"{value:.1f}"


def text(x: float, y: float, content: str, size: float = 11, anchor: str = "start", bold: bool = False,
         colour: str = ls.TEXT) -> El:
    attrs = {"x": f1(x), "y": f1(y), "font-size": f"{size:g}", "fill": colour}
    if anchor != "start":
        attrs["text-anchor"] = anchor
    if bold:
        attrs["font-weight"] = "bold"
    return El("text", attrs, content)


def rect(x: float, y: float, w: float, h: float, fill: str, stroke: str = "none", width: float = 1.0,
         opacity: float | None = None) -> El:
    attrs = {"x": f1(x), "y": f1(y), "width": f1(w), "height": f1(h), "fill": fill, "stroke": stroke,
             "stroke-width": f"{width:g}"}
    if opacity is not None:
        attrs["fill-opacity"] = f"{opacity:g}"
    return El("rect", attrs)


@dataclass
class Column:
    """One layer's units: ``cells[i]`` = (x, y) of the i-th drawn unit (or block of ``per_cell`` units)."""

    title: tuple[str, str]
    x: float
    units: int
    per_cell: int
    circles: bool
    size: float  # radius of a circle, or side of a square
    cells: list[tuple[float, float]]

    @property
    def top(self) -> float:
        return min(y for _, y in self.cells) - self.size

    @property
    def bottom(self) -> float:
        return max(y for _, y in self.cells) + self.size


def _column(title: tuple[str, str], x: float, units: int, top: float) -> Column:
    per_cell = math.ceil(units / MAX_UNITS_DRAWN)
    n = math.ceil(units / per_cell)
    middle = top + UNITS_HEIGHT / 2
    if n <= CIRCLE_UNITS:
        spacing = min(26.0, UNITS_HEIGHT / n)
        radius = min(9.0, spacing * 0.38)
        cells = [(x, middle + (j - (n - 1) / 2) * spacing) for j in range(n)]
        return Column(title, x, units, per_cell, True, radius, cells)
    sub = math.ceil(n / 60)
    rows = math.ceil(n / sub)
    side = min(10.0, UNITS_HEIGHT / rows)
    cells = [(x + (j // rows - (sub - 1) / 2) * side, middle + (j % rows - (rows - 1) / 2) * side) for j in range(n)]
    return Column(title, x, units, per_cell, False, side * 0.8, cells)


def _blocks_of(values: np.ndarray, per_cell: int, how: str) -> np.ndarray:
    """``values`` (one per unit) summarised per block of ``per_cell`` units: mean, max or all."""
    if per_cell == 1:
        return values
    groups = [values[i:i + per_cell] for i in range(0, len(values), per_cell)]
    reduce = {"mean": np.mean, "max": np.max, "all": np.all}[how]
    return np.array([reduce(g) for g in groups])


class LiveLayout:
    """Where everything goes (see the module docstring); depends on the network's shape, ``show``,
    and, for the decision boundary, the data's points and labels."""

    def __init__(self, network: Network, show: Sequence[str], probe_label: str,
                 points: np.ndarray | None = None, labels: np.ndarray | None = None,
                 grid: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.show = tuple(show)
        self.probe_label = probe_label
        self.scalar = network.scalar
        y = HEADER
        self.columns: list[Column] = []
        self.hist_rows: list[tuple[float, str]] = []
        right = PAD
        if "graph" in self.show:
            top = y + TITLES
            blocks = network.blocks
            titles = [("inputs", f"{network.in_features} feature" + ("s" if network.in_features > 1 else ""))]
            for block in blocks:
                name = block.name if network.scalar else (
                    f"Linear {block.name}" if block.name != "linear" else "Linear")
                titles.append((name, f"{block.units} {block.activation_name}"))
            sizes = [network.in_features] + [block.units for block in blocks]
            drafts = [_column(title, 0.0, units, top) for title, units in zip(titles, sizes)]
            x = PAD + 58
            for c, (title, units) in enumerate(zip(titles, sizes)):
                column = _column(title, x, units, top)
                if column.per_cell > 1:
                    column.title = (title[0], f"{units} units, {column.per_cell} a square")
                self.columns.append(column)
                if c + 1 < len(drafts):  # lines need room to fan out; a band does not
                    x += COLUMN_GAP if self._edges(drafts[c], drafts[c + 1]) is not None else BAND_GAP
            self.edges = [self._edges(a, b) for a, b in zip(self.columns, self.columns[1:])]
            self.edge_ends = [  # each drawn line's ends, formatted once
                [(f1(a.cells[i][0] + a.size), f1(a.cells[i][1]), f1(b.cells[j][0] - b.size), f1(b.cells[j][1]))
                 for i, j in pairs] if pairs is not None else None
                for a, b, pairs in zip(self.columns, self.columns[1:], self.edges)
            ]
            net_right = self.columns[-1].x + 58
            self.hist_x = net_right + 16
            row_h = min(64.0, max(56.0, (UNITS_HEIGHT + 10) / len(blocks)))
            self.hist_row_h = row_h
            self.hist_top = top
            for i, block in enumerate(blocks):
                self.hist_rows.append((top + 4 + i * row_h, f"{titles[i + 1][0]} · {titles[i + 1][1]}"))
            right = self.hist_x + 3 * HIST_W + 2 * HIST_GAP + PAD
            bottom = max(top + UNITS_HEIGHT + 10, top + 4 + len(blocks) * row_h)
            self.legend_y = bottom + 16
            y = self.legend_y + 34
        self.curves_y = y
        self.has_loss = "loss" in self.show
        self.has_boundary = "boundary" in self.show and points is not None and grid is not None
        x = PAD
        if self.has_loss:
            self.loss_box = (x + 46, y + 22, 290.0, 140.0)
            self.lr_box = (x + 46 + 290 + 70, y + 22, 180.0, 140.0)
            x = self.lr_box[0] + self.lr_box[2] + 24
        if self.has_boundary:
            self.boundary_box = (x + 8, y + 22, 190.0, 190.0)
            self.point_marks = _point_marks(points, labels, grid, self.boundary_box)
            x = self.boundary_box[0] + 190 + PAD
        bottom_row = 0.0
        if self.has_boundary:
            bottom_row = 22 + 190 + 14
        elif self.has_loss:
            bottom_row = 22 + 140 + 34
        self.width = max(right, x, 560.0)
        self.height = y + bottom_row + PAD

    @staticmethod
    def _edges(a: Column, b: Column) -> list[tuple[int, int]] | None:
        """The (source unit, target unit) pairs drawn as lines, or None for a band."""
        if not (a.circles and b.circles and a.per_cell == 1 and b.per_cell == 1):
            return None
        if a.units * b.units > MAX_EDGES_DRAWN:
            return None
        return [(i, j) for i in range(a.units) for j in range(b.units)]


def _point_marks(points: np.ndarray, labels: np.ndarray | None, grid: tuple, box: tuple) -> list[tuple[str, str, str]]:
    """``(cx, cy, colour)`` of each data point drawn over the decision boundary (coloured by class)."""
    x, y, w, h = box
    (x0, x1), (y0, y1) = (grid[0][0], grid[0][-1]), (grid[1][0], grid[1][-1])
    classes = np.unique(labels) if labels is not None else None
    marks = []
    for k, (px, py) in enumerate(points):
        colour = ls.class_colour(int(np.searchsorted(classes, labels[k]))) if classes is not None else "#444444"
        marks.append((f1(x + w * (px - x0) / (x1 - x0)), f1(y + h - h * (py - y0) / (y1 - y0)), colour))
    return marks


# -- a frame -----------------------------------------------------------------------------


@dataclass
class Scales:
    """The curves' axes, shared by the frames drawn together: steps, losses (log or linear), rates."""

    steps: tuple[float, float]
    loss: tuple[float, float]
    log_loss: bool
    lr: tuple[float, float]

    @classmethod
    def of(cls, curves: dict[str, list]) -> "Scales":
        steps = [s for s in curves["step"]] or [0]
        low, high = min(steps), max(steps)
        losses = [v for key in ("loss", "val_loss") for v in curves[key] if v is not None and math.isfinite(v)]
        log = bool(losses) and min(losses) > 0 and max(losses) / min(losses) > 30
        if losses:
            lo, hi = (math.log10(min(losses)), math.log10(max(losses))) if log else (min(0.0, min(losses)), max(losses))
        else:
            lo, hi = 0.0, 1.0
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        rates = [v for v in curves["lr"] if v is not None and math.isfinite(v)]
        top = max(rates) if rates else 1.0
        return cls((low, high if high > low else low + 1), (lo, hi), log, (min(0.0, min(rates, default=0.0)), top or 1.0))


def frame(layout: LiveLayout, snap: Snapshot, first: Snapshot, curves: dict[str, list], scales: Scales) -> list[El]:
    """The elements of ``snap`` (``first``: the frames' first snapshot, which fixes the edges' scale;
    ``curves``: every reported epoch, drawn up to ``snap``'s)."""
    out: list[El] = [El("rect", {"x": "0", "y": "0", "width": f1(layout.width), "height": f1(layout.height),
                                 "fill": "white", "stroke": "none", "stroke-width": "0"})]
    parts = [f"epoch {snap.epoch}", f"step {snap.step}", f"loss {ls.number(snap.loss, 4)}"]
    if snap.val_loss is not None:
        parts.append(f"val loss {ls.number(snap.val_loss, 4)}")
    if snap.lr is not None:
        parts.append(f"lr {ls.number(snap.lr, 3)}")
    out.append(text(PAD, 22, "   ·   ".join(parts), size=14, bold=True))
    if "graph" in layout.show:
        out += _network(layout, snap, first)
        out += _histograms(layout, snap)
    if layout.has_loss:
        out += _curves(layout, snap, curves, scales)
    if layout.has_boundary:
        out += _boundary(layout, snap)
    return out


def _network(layout: LiveLayout, snap: Snapshot, first: Snapshot) -> list[El]:
    cols = layout.columns
    out = [text(PAD, HEADER + 12, f"the network: each unit's activation ({layout.probe_label}), its gradient, "
                "each weight", size=11, colour=ls.MUTED)]
    for c, (a, b) in enumerate(zip(cols, cols[1:])):
        pairs = layout.edges[c]
        if pairs is None:
            xa, xb = a.x + a.size * 3, b.x - b.size * 3
            out.append(El("polygon", {"points": f"{f1(xa)},{f1(a.top)} {f1(xb)},{f1(b.top)} {f1(xb)},{f1(b.bottom)} "
                                                f"{f1(xa)},{f1(a.bottom)}",
                                      "fill": "#b8b8b8", "fill-opacity": "0.25", "stroke": "none"}))
            out.append(text((xa + xb) / 2, (a.top + a.bottom) / 2 - 6, f"{a.units}×{b.units}", size=10,
                            anchor="middle", colour=ls.MUTED))
            out.append(text((xa + xb) / 2, (a.top + a.bottom) / 2 + 7, "weights", size=10, anchor="middle",
                            colour=ls.MUTED))
            continue
        weight = snap.layers[c].weight.tolist()
        reference = float(np.abs(first.layers[c].weight).max())
        reference = reference if math.isfinite(reference) and reference > 0 else 1.0
        for (i, j), (x0, y0, x1, y1) in zip(pairs, layout.edge_ends[c]):
            colour, width, opacity = ls.edge_look(weight[i][j], reference)
            out.append(El("line", {"x1": x0, "y1": y0, "x2": x1, "y2": y1,
                                   "stroke": colour, "stroke-width": f"{width:g}", "stroke-opacity": f"{opacity:g}"}))
    for c, column in enumerate(cols):
        out.append(text(column.x, HEADER + TITLES - 20, column.title[0], size=11, anchor="middle", bold=True))
        out.append(text(column.x, HEADER + TITLES - 7, column.title[1], size=10, anchor="middle", colour=ls.MUTED))
        if c == 0:
            values, grads = snap.unit_input, np.full(column.units, np.nan)
            dead, saturated = np.zeros(column.units, bool), np.zeros(column.units, bool)
        else:
            layer = snap.layers[c - 1]
            values, grads = layer.unit_activation, layer.unit_gradient
            dead, saturated = layer.dead, layer.saturation >= SATURATED
        values = _blocks_of(values, column.per_cell, "mean")
        grads = _blocks_of(grads, column.per_cell, "max")
        dead = _blocks_of(dead, column.per_cell, "all")
        saturated = _blocks_of(saturated, column.per_cell, "all")
        for j, (x, y) in enumerate(column.cells):
            fill = ls.DEAD_FILL if dead[j] else ls.diverging(float(values[j]))
            if c == 0:
                stroke, width = "#444444", 1.0
            else:
                stroke, width = ls.gradient_outline(float(grads[j]))
            if column.circles:
                tip = _tooltip(c, j, values[j], grads[j], dead[j], saturated[j], layout.probe_label)
                out.append(El("circle", {"cx": f1(x), "cy": f1(y), "r": f1(column.size), "fill": fill,
                                         "stroke": stroke, "stroke-width": f"{width:g}"}, tip))
                glyph = "×" if dead[j] else "S" if saturated[j] else ""
                colour = "#ffffff" if ls.is_dark(fill) else "#111111"
                out.append(text(x, y + 4, glyph, size=11 if column.size >= 7 else 8, anchor="middle", bold=True,
                                colour=colour))
            else:
                side = column.size
                out.append(rect(x - side / 2, y - side / 2, side, side, fill, stroke, min(1.2, width / 3)))
    y = layout.legend_y
    out.append(text(PAD, y, "fill: activation, blue −1 · white 0 · red +1;  grey × dead (0 on every row);  "
                    "S saturated (sigmoid or tanh within 0.01 of its bounds on 90% of rows)", size=10, colour=ls.MUTED))
    out.append(text(PAD, y + 14, "outline: gradient ‖∂L/∂(w, b)‖ of the unit, thicker = larger: light grey < 1e-4 · "
                    "dark grey < 1 · orange < 10 · red ≥ 10;   edges: weight, red +, blue −, thicker = larger |w|",
                    size=10, colour=ls.MUTED))
    return out


def _tooltip(c: int, j: int, value: float, grad: float, dead: bool, saturated: bool, probe_label: str) -> str:
    if c == 0:
        return f"input {j}: {ls.number(float(value))} ({probe_label})"
    state = " · dead" if dead else " · saturated" if saturated else ""
    return f"unit {j}: activation {ls.number(float(value))} ({probe_label}), gradient {ls.number(float(grad))}{state}"


def _histograms(layout: LiveLayout, snap: Snapshot) -> list[El]:
    out = []
    x0 = layout.hist_x
    for k, title in enumerate(("activations", "weights & biases", "gradients")):
        out.append(text(x0 + k * (HIST_W + HIST_GAP), layout.hist_top - 8, title, size=11, bold=True))
    for (y, label), layer in zip(layout.hist_rows, snap.layers):
        note = " · its 0s not drawn" if layer.activation_name == "relu" else ""
        out.append(text(x0, y + 10, label + note, size=10, colour=ls.MUTED))
        hists = (layer.activation_hist, layer.parameter_hist, layer.gradient_hist)
        stats = (_activation_stat(layer), f"std {ls.number(_std(np.r_[layer.weight.ravel(), _or_empty(layer.bias)]), 2)}",
                 f"norm {ls.number(float(np.sqrt((layer.weight_grad ** 2).sum() + (_or_empty(layer.bias_grad) ** 2).sum())), 2)}")
        colours = ("#5a7fb0", "#4c8b3a", "#b3261e")
        for k, (hist, stat, colour) in enumerate(zip(hists, stats, colours)):
            px, py = x0 + k * (HIST_W + HIST_GAP), y + 14
            out.append(rect(px, py, HIST_W, HIST_BARS_H, "#f7f7f7", "#dddddd", 0.8))
            out.append(El("path", {"d": _bars(hist, px, py), "fill": colour, "stroke": "none"}))
            low, high = (hist.edges[0], hist.edges[-1]) if hist is not None else (math.nan, math.nan)
            out.append(text(px, py + HIST_BARS_H + 11, f"{ls.number(float(low), 2)} … {ls.number(float(high), 2)}",
                            size=9, colour=ls.MUTED))
            out.append(text(px + HIST_W, py + HIST_BARS_H + 11, stat if hist is not None else "no data", size=9,
                            anchor="end", colour=ls.MUTED))
    return out


def _bars(hist: Any, x: float, y: float) -> str:
    """A histogram's bars as one path (a closed rectangle per non-empty bin: M, then v h v Z), the
    tallest bar full height."""
    if hist is None or hist.counts.max() == 0:
        return ""
    counts = hist.counts.tolist()
    top, bar, bottom = max(counts), HIST_W / len(counts), y + HIST_BARS_H
    parts = []
    for i, count in enumerate(counts):
        if count:
            height = max(0.5, HIST_BARS_H * count / top)
            parts.append(f"M{x + i * bar + 0.5:.1f},{bottom:.1f}v-{height:.1f}h{bar - 1:.1f}v{height:.1f}Z")
    return "".join(parts)


def _or_empty(values: np.ndarray | None) -> np.ndarray:
    return np.zeros(0) if values is None else values


def _std(values: np.ndarray) -> float:
    return float(values.std()) if values.size else math.nan


def _activation_stat(layer: LayerSnapshot) -> str:
    acts = layer.activations
    if acts.size == 0:
        return ""
    if layer.activation_name in BOUNDED:
        return f"{layer.saturation.mean():.0%} saturated"
    zero = float(np.mean(acts == 0))
    if zero > 0:
        return f"{zero:.0%} = 0"
    return f"std {ls.number(float(acts.std()), 2)}"


def _curves(layout: LiveLayout, snap: Snapshot, curves: dict[str, list], scales: Scales) -> list[El]:
    upto = sum(1 for e in curves["epoch"] if e <= snap.epoch)
    out = []
    for box, title, keys, vscale, log in (
        (layout.loss_box, "loss", (("loss", ls.TRAIN_COLOUR), ("val_loss", ls.VAL_COLOUR)), scales.loss, scales.log_loss),
        (layout.lr_box, "learning rate", (("lr", ls.LR_COLOUR),), scales.lr, False),
    ):
        x, y, w, h = box
        out.append(rect(x, y, w, h, "#fbfbfb", "#bbbbbb", 0.8))
        out.append(text(x, y - 8, title + (" (log scale)" if log else ""), size=11, bold=True))
        s0, s1 = scales.steps
        v0, v1 = vscale

        def place(step: float, value: float) -> tuple[float, float]:
            v = math.log10(value) if log else value
            return x + w * (step - s0) / (s1 - s0), y + h - h * (v - v0) / (v1 - v0)

        for frac in (0.0, 0.5, 1.0):
            v = v0 + frac * (v1 - v0)
            label = ls.number(10 ** v if log else v, 2)
            out.append(text(x - 4, y + h - frac * h + 3, label, size=9, anchor="end", colour=ls.MUTED))
        out.append(text(x, y + h + 12, ls.number(s0, 4), size=9, colour=ls.MUTED))
        out.append(text(x + w, y + h + 12, ls.number(s1, 4), size=9, anchor="end", colour=ls.MUTED))
        out.append(text(x + w / 2, y + h + 24, "step", size=10, anchor="middle", colour=ls.MUTED))
        for n, (key, colour) in enumerate(keys):
            points = []
            for step, value in zip(curves["step"][:upto], curves[key][:upto]):
                if value is not None and math.isfinite(value) and (not log or value > 0):
                    px, py = place(step, value)
                    points.append(f"{f1(px)},{f1(py)}")
            out.append(El("polyline", {"points": " ".join(points), "fill": "none", "stroke": colour,
                                       "stroke-width": "1.8"}))
            last = points[-1].split(",") if points else (f1(x), f1(y))
            out.append(El("circle", {"cx": last[0], "cy": last[1], "r": "3" if points else "0", "fill": colour,
                                     "stroke": "none", "stroke-width": "0"}))
            if len(keys) > 1 and any(v is not None for v in curves["val_loss"]):
                out.append(text(x + w - 4, y + 13 + 13 * n, {"loss": "train", "val_loss": "validation"}[key],
                                size=10, anchor="end", colour=colour, bold=True))
    return out


def _boundary(layout: LiveLayout, snap: Snapshot) -> list[El]:
    x, y, w, h = layout.boundary_box
    out = [text(x, y - 8, "decision boundary", size=11, bold=True)]
    boundary = snap.boundary
    href, d = "", ""
    if boundary is not None:
        href = "data:image/png;base64," + base64.b64encode(region_png(boundary.scores, boundary.threshold)).decode()
        d = _contour_path(boundary, layout.boundary_box)
    out.append(El("image", {"x": f1(x), "y": f1(y), "width": f1(w), "height": f1(h), "href": href,
                            "preserveAspectRatio": "none"}))
    out.append(El("path", {"d": d, "fill": "none", "stroke": "#111111", "stroke-width": "1.6"}))
    for cx, cy, colour in layout.point_marks:
        out.append(El("circle", {"cx": cx, "cy": cy, "r": "2.6", "fill": colour, "stroke": "#222222",
                                 "stroke-width": "0.5"}))
    out.append(rect(x, y, w, h, "none", "#888888", 0.8))
    return out


def region_png(scores: np.ndarray, threshold: float) -> bytes:
    """The classes' regions as a small PNG (one pixel per grid point, the top row the largest y): for one
    output, blue where score < threshold and red above, deeper the further from it; for class scores, each
    point in the colour of its argmax."""
    from PIL import Image

    if scores.ndim == 2:
        spread = 0.25 if threshold == 0.5 else 1.0
        t = np.tanh((scores - threshold) / spread)[..., None]
        strength = 0.22 + 0.4 * np.abs(t)
        colour = np.where(t >= 0, np.array(ls.rgb(ls.class_colour(1))), np.array(ls.rgb(ls.class_colour(0))))
    else:
        winner = scores.argmax(axis=-1)
        palette = np.array([ls.rgb(ls.class_colour(k)) for k in range(scores.shape[-1])])
        colour = palette[winner]
        strength = np.full(winner.shape + (1,), 0.35)
    pixels = 255 + (colour - 255) * strength
    image = Image.fromarray(np.clip(pixels[::-1], 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _contour_path(boundary: Any, box: tuple[float, float, float, float]) -> str:
    """The line where one output's score crosses its threshold, as an SVG path (M and L commands)."""
    if boundary.scores.ndim != 2 or not np.isfinite(boundary.scores).all():
        return ""
    import contourpy

    x, y, w, h = box
    xs, ys = boundary.xs, boundary.ys
    lines = contourpy.contour_generator(xs, ys, boundary.scores).lines(boundary.threshold)
    parts = []
    for line in lines:
        px = x + w * (line[:, 0] - xs[0]) / (xs[-1] - xs[0])
        py = y + h - h * (line[:, 1] - ys[0]) / (ys[-1] - ys[0])
        parts.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py)))
    return "".join(parts)

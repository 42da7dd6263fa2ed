"""The matplotlib renderer: a scene drawn with matplotlib, laid out by ``viz.layout``.

Needs no system program, so it is what ``viz.draw`` uses when ``dot`` is missing.
It works in points: text is measured with matplotlib's own font metrics, the layout
is computed in points, and the figure is sized so that one data unit is one point,
which keeps text at its real size however big the graph is.
"""

from __future__ import annotations

import functools
import io

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path
from matplotlib.textpath import text_to_path

from . import style
from .layout import layered_layout
from .scene import Arrow, Box, Scene

LINE_SPACING = 1.35
PAD_X, PAD_Y = 8.0, 5.0  # points inside a box around its text
MARGIN = 16.0  # points around the picture
MAX_PIXELS = 16000  # the longer side of a PNG; the resolution drops for huge graphs


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, size: float, bold: bool) -> float:
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return width


def _box_size(box: Box) -> tuple[float, float]:
    widths = [_text_width(line.text, style.FONT_SIZE, line.style == "title") for line in box.lines]
    width = max(widths, default=0.0) + 2 * PAD_X
    height = len(box.lines) * style.FONT_SIZE * LINE_SPACING + 2 * PAD_Y
    if box.kind == "op":  # an ellipse around the text needs about sqrt(2) times the room
        width, height = width * 1.3, height * 1.2
    return width, height


def figure(scene: Scene) -> Figure:
    """The scene as a matplotlib Figure (not registered with pyplot)."""
    sizes = [_box_size(box) for box in scene.boxes]
    index = {box.key: i for i, box in enumerate(scene.boxes)}
    edges = [(index[a.tail], index[a.head]) for a in scene.arrows]
    label_widths = [
        _text_width(a.label, style.EDGE_FONT_SIZE, a.current) + 12 if a.label else 0.0 for a in scene.arrows
    ]
    centres, routes = layered_layout(sizes, edges, label_widths)

    left = min((x - w / 2 for (x, _), (w, _) in zip(centres, sizes)), default=0.0) - MARGIN
    right = max((x + w / 2 for (x, _), (w, _) in zip(centres, sizes)), default=0.0) + MARGIN
    bottom = min((y - h / 2 for (_, y), (_, h) in zip(centres, sizes)), default=0.0) - MARGIN
    top = max((y + h / 2 for (_, y), (_, h) in zip(centres, sizes)), default=0.0) + MARGIN
    caption_height = style.CAPTION_FONT_SIZE * 2.2 if scene.caption else 0.0
    if scene.caption:
        right = max(right, left + _text_width(scene.caption, style.CAPTION_FONT_SIZE, False) + 2 * MARGIN)
    width, height = right - left, top - bottom + caption_height

    fig = Figure(figsize=(width / 72, height / 72))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top + caption_height)
    ax.set_axis_off()
    if scene.caption:
        ax.text(left + MARGIN, top + caption_height / 2, scene.caption, fontsize=style.CAPTION_FONT_SIZE,
                ha="left", va="center", color="#111111")
    for box, (x, y), (w, h) in zip(scene.boxes, centres, sizes):
        _draw_box(ax, box, x, y, w, h)
    _draw_arrows(ax, scene.arrows, routes, index, centres, sizes)
    return fig


def render(scene: Scene, fmt: str, dpi: int = 144) -> bytes:
    """The picture as ``fmt`` (png, svg, pdf) bytes."""
    fig = figure(scene)
    width, height = fig.get_size_inches()
    dpi = min(dpi, int(MAX_PIXELS / max(width, height, 1e-9)))
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, editable
        fig.savefig(buffer, format=fmt, dpi=max(dpi, 10), facecolor="white")
    return buffer.getvalue()


def _draw_box(ax, box: Box, x: float, y: float, w: float, h: float) -> None:
    fill = style.CURRENT_FILL if box.current else style.BOX_FILL[box.kind]
    edge = style.CURRENT_BORDER if box.current else style.BOX_BORDER[box.kind]
    common = dict(facecolor=fill, edgecolor=edge, linewidth=2.5 if box.current else 1.2,
                  linestyle="--" if box.pending else "-", zorder=2)
    if box.kind == "op":
        ax.add_artist(Ellipse((x, y), w, h, **common))
    else:
        rounding = 6.0 if box.kind == "value" else 1.0
        ax.add_artist(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                     boxstyle=f"round,pad=0,rounding_size={rounding}", **common))
        if box.kind == "group":
            inset = 3.0
            ax.add_artist(FancyBboxPatch((x - w / 2 + inset, y - h / 2 + inset), w - 2 * inset, h - 2 * inset,
                                        boxstyle="round,pad=0,rounding_size=1", facecolor="none",
                                        edgecolor=edge, linewidth=0.8, zorder=2))
    step = style.FONT_SIZE * LINE_SPACING
    top = y + step * (len(box.lines) - 1) / 2
    for k, line in enumerate(box.lines):
        ax.text(x, top - k * step, line.text, ha="center", va="center", fontsize=style.FONT_SIZE,
                color=style.TEXT_COLOR[line.style], zorder=3,
                fontweight="bold" if line.style == "title" else "normal",
                fontstyle="italic" if line.style in ("pending", "note") else "normal")


def _draw_arrows(ax, arrows: list[Arrow], routes, index: dict[str, int], centres, sizes) -> None:
    """Arrows from a box's right side to the next box's left side. One that skips layers
    follows its waypoints (a lane kept free by the layout); arrows between the same two
    boxes (a node used twice by one op) bend apart so both stay visible."""
    siblings: dict[tuple[str, str], list[int]] = {}
    for k, arrow in enumerate(arrows):
        siblings.setdefault((arrow.tail, arrow.head), []).append(k)
    for k, arrow in enumerate(arrows):
        (x0, y0), (w0, _) = centres[index[arrow.tail]], sizes[index[arrow.tail]]
        (x1, y1), (w1, _) = centres[index[arrow.head]], sizes[index[arrow.head]]
        start, end = (x0 + w0 / 2, y0), (x1 - w1 / 2, y1)
        color = style.CURRENT_EDGE if arrow.current else style.EDGE_COLOR
        common = dict(arrowstyle="-|>", mutation_scale=12, shrinkA=0, shrinkB=1, color=color, zorder=1,
                      linewidth=2.2 if arrow.current else 1.0,
                      linestyle="--" if arrow.label_style == "pending" and not arrow.current else "-")
        route = routes[k]
        if route:
            points = [start, *route, end]
            codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
            ax.add_artist(FancyArrowPatch(path=Path(points, codes), **common))
            bend, start = 0.0, route[-1]  # the label goes on the last stretch, into the head
        else:
            bundle = siblings[(arrow.tail, arrow.head)]
            bend = (bundle.index(k) - (len(bundle) - 1) / 2) * 0.35
            ax.add_artist(FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={bend}", **common))
        if arrow.label:
            _draw_label(ax, arrow, start, end, bend)


def _draw_label(ax, arrow: Arrow, start, end, bend: float) -> None:
    """The label at the middle of the (possibly bent) arrow."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    # arc3's control point sits rad * (dy, -dx) off the chord's middle; the curve's middle half-way there
    mx = (x0 + x1) / 2 + bend * dy / 2
    my = (y0 + y1) / 2 - bend * dx / 2
    color = style.CURRENT_EDGE if arrow.current else style.EDGE_LABEL_COLOR[arrow.label_style]
    ax.text(mx, my, arrow.label, ha="center", va="center", fontsize=style.EDGE_FONT_SIZE,
            color=color, fontweight="bold" if arrow.current else "normal", zorder=4,
            bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.9))

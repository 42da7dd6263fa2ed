"""The matplotlib renderer: a scene drawn with matplotlib at the places ``viz.placement``
gives (``viz.layout``'s layered layout; a stepper's frames share one).

Needs no system program, so it is what ``viz.draw`` uses when ``dot`` is missing.
It works in points: text is measured with matplotlib's own font metrics, the layout
is computed in points, and the figure is sized so that one data unit is one point,
which keeps text at its real size however big the graph is.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from . import style
from .placement import LINE_SPACING, Placement, box_size, place
from .scene import Arrow, Box, GraphTooLargeError, Scene

MAX_PIXELS = 16000  # the longer side of a PNG; the resolution drops for huge graphs
MIN_TEXT_PIXELS = 1.0  # ... but not so far that the arrows' text is under a pixel high
PATH_CODES = {"M": Path.MOVETO, "L": Path.LINETO, "Q": Path.CURVE3, "C": Path.CURVE4}

_box_size = box_size  # the measure both renderers and the HTML player share


def figure(scene: Scene, placement: Placement | None = None) -> Figure:
    """The scene as a matplotlib Figure (not registered with pyplot).

    ``placement``: where the boxes go (``viz.placement``; shared by every frame of a
    stepper); None lays out this scene alone.
    """
    if placement is None or not placement.fits(scene):
        placement = place([scene], "matplotlib")
    width, height = placement.canvas(bool(scene.caption))
    fig = Figure(figsize=(width / 72, height / 72))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    if scene.caption:
        x, y = placement.caption_at()
        ax.text(x, y, scene.caption, fontsize=style.CAPTION_FONT_SIZE, ha="left", va="center", color="#111111")
    for box in scene.boxes:
        (x, y), (w, h) = placement.centres[box.key], placement.sizes[box.key]
        _draw_box(ax, box, x, y, w, h)
    for arrow, route in zip(scene.arrows, placement.routes):
        _draw_arrow(ax, arrow, route)
    return fig


def render(scene: Scene, fmt: str, dpi: float = 144, placement: Placement | None = None) -> bytes:
    """The picture as ``fmt`` (png, svg, pdf) bytes.

    A PNG's resolution drops so that its longer side stays within ``MAX_PIXELS``; a picture so
    big that its arrows' text would be under a pixel high (FreeType cannot draw it) raises
    :class:`~viz.scene.GraphTooLargeError` saying to save it as SVG or PDF instead.
    """
    fig = figure(scene, placement)
    width, height = fig.get_size_inches()
    dpi = min(dpi, MAX_PIXELS / max(width, height, 1e-9))
    if fmt == "png" and dpi * style.EDGE_FONT_SIZE / 72 < MIN_TEXT_PIXELS:
        raise GraphTooLargeError(
            f"this picture is {width * 72:,.0f} × {height * 72:,.0f} points: as a PNG at most {MAX_PIXELS:,} "
            f"pixels wide ({dpi:.1f} dpi) its text would be under a pixel high. Save it as .svg or .pdf "
            "instead (they keep every word at any size), or draw fewer boxes (group=..., or a smaller "
            "part of the graph)"
        )
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, editable
        fig.savefig(buffer, format=fmt, dpi=max(dpi, 1), facecolor="white")
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


def _draw_arrow(ax, arrow: Arrow, route) -> None:
    """An arrow along its route (straight, through a long edge's lanes, or bent apart from
    a sibling between the same two boxes), its label at the route's label point."""
    faint = arrow.faint and not arrow.current
    color = style.CURRENT_EDGE if arrow.current else style.FAINT_EDGE_COLOR if faint else style.EDGE_COLOR
    common = dict(arrowstyle="-|>", mutation_scale=12 * style.FAINT_ARROW_SIZE if faint else 12,
                  shrinkA=0, shrinkB=1, color=color, zorder=1,
                  linewidth=2.2 if arrow.current else style.FAINT_EDGE_WIDTH if faint else 1.0,
                  linestyle="--" if arrow.label_style == "pending" and not arrow.current else "-")
    path = Path(route.points, [PATH_CODES[c] for c in route.codes])
    ax.add_artist(FancyArrowPatch(path=path, **common))
    if arrow.label:
        x, y = route.label_at
        label_color = style.CURRENT_EDGE if arrow.current else style.EDGE_LABEL_COLOR[arrow.label_style]
        ax.text(x, y, arrow.label, ha="center", va="center", fontsize=style.EDGE_FONT_SIZE,
                color=label_color, fontweight="bold" if arrow.current else "normal", zorder=4,
                bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.9))

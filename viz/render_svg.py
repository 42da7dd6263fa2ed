"""A scene as SVG at the places of a ``viz.placement.Placement``, every box and arrow addressable.

The HTML player draws the graph once with this and then only restyles it, so every
box is a ``<g id="{prefix}-{key}" class="bp-box">`` (its shape has class ``bp-shape``,
its lines are ``<tspan>`` s of one ``<text>``) and every arrow a ``<g id="{prefix}-e{k}"
class="bp-edge">`` (path, arrowhead, label). What a box or arrow looks like in a given
frame is a small list, its *state* (``box_state``, ``arrow_state``); the player's script
applies the same states the Python side drew frame 0 with, so the two cannot disagree.

Coordinates: the placement's points (y up) become SVG user units (y down); the caption
band is left out (the player shows the caption as HTML text above the graph).
"""

from __future__ import annotations

import html
import math
import re

from . import style
from .placement import LINE_SPACING, Placement
from .scene import Arrow, Box, Scene

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"  # the sizes were measured in DejaVu Sans
SVG_NS = "http://www.w3.org/2000/svg"
PX_PER_POINT = 96 / 72  # CSS pixels per point: text shows at its size in points
HEAD_LENGTH, HEAD_HALF_WIDTH = 9.0, 3.5  # arrowheads, in points

#: How each kind of text line looks: colour, bold, italic (``scene.Line.style``).
LINE_LOOK = {name: [colour, name == "title", name in ("pending", "note")] for name, colour in style.TEXT_COLOR.items()}


def responsive(picture: bytes, fmt: str) -> bytes:
    """An SVG picture that scales down to the width it is shown in (a notebook cell, a
    slide, a phone) and never beyond its own size: the root ``<svg>`` keeps its viewBox
    and gets ``width="100%"`` with its natural width as ``max-width``. Other formats
    are returned as they are."""
    if fmt != "svg":
        return picture
    text = picture.decode("utf-8")
    match = re.search(r"<svg\b[^>]*>", text)
    if match is None or "viewBox" not in match.group(0) or "style=" in match.group(0):
        return picture
    tag = match.group(0)
    width = re.search(r'\swidth="([\d.]+)(pt|px)?"', tag)
    height = re.search(r'\sheight="([\d.]+)(pt|px)?"', tag)
    if width is None or height is None:
        return picture
    natural = f"{width.group(1)}{width.group(2) or 'px'}"
    new = tag.replace(width.group(0), ' width="100%"').replace(height.group(0), "")
    new = new[:-1].rstrip("/").rstrip() + f' style="max-width: {natural}; height: auto"' + ("/>" if tag.endswith("/>") else ">")
    return (text[: match.start()] + new + text[match.end():]).encode("utf-8")


def box_state(box: Box) -> list:
    """``[fill, border, border width, dashed, [[text, line style], ...]]``: a box in one frame."""
    return [
        style.CURRENT_FILL if box.current else style.BOX_FILL[box.kind],
        style.CURRENT_BORDER if box.current else style.BOX_BORDER[box.kind],
        2.5 if box.current else 1.2,
        1 if box.pending else 0,
        [[line.text, line.style] for line in box.lines],
        1 if box.current else 0,
    ]


def arrow_state(arrow: Arrow) -> list:
    """``[label, line colour, label colour, width, dashed, bold, current]``: an arrow in one frame."""
    faint = arrow.faint and not arrow.current
    return [
        arrow.label,
        style.CURRENT_EDGE if arrow.current else style.FAINT_EDGE_COLOR if faint else style.EDGE_COLOR,
        style.CURRENT_EDGE if arrow.current else style.EDGE_LABEL_COLOR[arrow.label_style],
        2.2 if arrow.current else style.FAINT_EDGE_WIDTH if faint else 1.0,
        1 if arrow.label_style == "pending" and not arrow.current else 0,
        1 if arrow.current else 0,
        1 if arrow.current else 0,
    ]


def svg(scene: Scene, placement: Placement, prefix: str) -> str:
    """The scene as one ``<svg>`` element, ids prefixed by ``prefix`` (unique per player)."""
    width, height = placement.graph_width, placement.graph_height
    parts = [
        f'<svg xmlns="{SVG_NS}" class="bp-graph" viewBox="0 0 {width:.1f} {height:.1f}" '
        f'width="100%" font-family="{FONT_FAMILY}" '
        f'style="background: white; max-width: {width * PX_PER_POINT:.0f}px; height: auto">'
    ]
    for k, (arrow, route) in enumerate(zip(scene.arrows, placement.routes)):
        points = [(x, height - y) for x, y in route.points]
        label_x, label_y = route.label_at[0], height - route.label_at[1]
        parts.append(_arrow(prefix, k, arrow, points, route.codes, label_x, label_y))
    for box in scene.boxes:
        (x, y), (w, h) = placement.centres[box.key], placement.sizes[box.key]
        parts.append(_box(prefix, box, x, height - y, w, h))
    parts.append("</svg>")
    return "\n".join(parts)


def _box(prefix: str, box: Box, x: float, y: float, w: float, h: float) -> str:
    fill, border, width, dashed, lines, current = box_state(box)
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    paint = f'fill="{fill}" stroke="{border}" stroke-width="{width}"{dash}'
    if box.kind == "op":
        shape = f'<ellipse class="bp-shape" cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" {paint}/>'
    else:
        rounding = 6 if box.kind == "value" else 1
        shape = (f'<rect class="bp-shape" x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" '
                 f'height="{h:.1f}" rx="{rounding}" {paint}/>')
        if box.kind == "group":
            shape += (f'<rect class="bp-inner" x="{x - w / 2 + 3:.1f}" y="{y - h / 2 + 3:.1f}" '
                      f'width="{w - 6:.1f}" height="{h - 6:.1f}" rx="1" fill="none" stroke="{border}" '
                      'stroke-width="0.8"/>')
    step = style.FONT_SIZE * LINE_SPACING
    top = y - step * (len(lines) - 1) / 2
    spans = []
    for i, (text, line_style) in enumerate(lines):
        colour, bold, italic = LINE_LOOK[line_style]
        look = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
        spans.append(f'<tspan x="{x:.1f}" y="{top + i * step:.1f}" fill="{colour}"{look}>'
                     f"{html.escape(text, quote=False)}</tspan>")
    classes = f"bp-box bp-{box.kind}" + (" bp-current" if current else "")
    return (f'<g id="{prefix}-{box.key}" class="{classes}" data-key="{box.key}" data-x="{x:.1f}" '
            f'data-y="{y:.1f}">{shape}<text text-anchor="middle" dominant-baseline="central" '
            f'font-size="{style.FONT_SIZE}">{"".join(spans)}</text></g>')


def _arrow(prefix: str, k: int, arrow: Arrow, points, codes: str, label_x: float, label_y: float) -> str:
    label, colour, label_colour, width, dashed, bold, current = arrow_state(arrow)
    d = []
    for i, (code, (px, py)) in enumerate(zip(codes, points)):
        opens = i == 0 or codes[i - 1] != code  # SVG repeats a command for the points that follow
        d.append(f"{code if opens else ''}{px:.1f},{py:.1f}")
    head = _arrowhead(points, style.FAINT_ARROW_SIZE if arrow.faint else 1.0)  # a crowded band: small heads
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    look = ' font-weight="bold"' if bold else ""
    classes = "bp-edge" + (" bp-current" if current else "")
    return (f'<g id="{prefix}-e{k}" class="{classes}" data-tail="{arrow.tail}" data-head="{arrow.head}">'
            f'<path class="bp-line" d="{" ".join(d)}" fill="none" stroke="{colour}" stroke-width="{width}"{dash}/>'
            f'<polygon class="bp-head" points="{head}" fill="{colour}"/>'
            f'<text class="bp-label" x="{label_x:.1f}" y="{label_y:.1f}" text-anchor="middle" '
            f'dominant-baseline="central" font-size="{style.EDGE_FONT_SIZE}" fill="{label_colour}"{look} '
            f'stroke="white" stroke-width="3" paint-order="stroke">{html.escape(label, quote=False)}</text></g>')


def _arrowhead(points, scale: float = 1.0) -> str:
    """A filled triangle at the path's end, pointing along its last stretch (``scale``: of the usual size)."""
    (x1, y1) = points[-1]
    x0, y0 = points[-2] if len(points) > 1 else (x1 - 1, y1)
    for candidate in reversed(points[:-1]):  # the last point that is not the tip itself
        if math.hypot(x1 - candidate[0], y1 - candidate[1]) > 1e-6:
            x0, y0 = candidate
            break
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    length, half = HEAD_LENGTH * scale, HEAD_HALF_WIDTH * scale
    bx, by = x1 - ux * length, y1 - uy * length
    left = (bx - uy * half, by + ux * half)
    right = (bx + uy * half, by - ux * half)
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in (left, (x1, y1), right))

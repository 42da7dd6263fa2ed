"""The graphviz renderer: a scene as DOT text, laid out and drawn by the ``dot`` program.

``to_dot`` needs only the graphviz Python package; ``render`` runs ``dot`` (the system
graphviz), which may be absent: ``dot_available()`` tells, and ``viz.draw`` falls back
to the matplotlib renderer without it.

A stepper's frames share one layout (``viz.placement``): ``render_placed`` draws a
frame with every box, arrow and label where that layout put it (``neato -n2`` keeps
given positions), two invisible corner points fixing the picture's size, and the
caption as a left-aligned text box of the widest caption's width.
"""

from __future__ import annotations

import html
import shutil

import graphviz

from . import style
from .placement import Placement, as_dot_pos
from .scene import Arrow, Box, Scene

FONT = "Helvetica"


def dot_available() -> bool:
    """True when the ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def to_dot(scene: Scene, dpi: int | None = None) -> str:
    """The DOT source of ``scene``: left to right, HTML-like labels, deterministic."""
    graph_attr = {
        "rankdir": "LR",
        "bgcolor": "white",
        "nodesep": "0.25",
        "ranksep": "0.45",
        "fontname": FONT,
        "fontsize": str(style.CAPTION_FONT_SIZE),
    }
    if scene.caption:
        graph_attr.update(label=scene.caption, labelloc="t", labeljust="l")
    if dpi is not None:
        graph_attr["dpi"] = str(dpi)
    graph = graphviz.Digraph(
        "backprop",
        graph_attr=graph_attr,
        node_attr={"fontname": FONT, "fontsize": str(style.FONT_SIZE)},
        edge_attr={"fontname": FONT, "fontsize": str(style.EDGE_FONT_SIZE), "color": style.EDGE_COLOR},
    )
    for box in scene.boxes:
        graph.node(box.key, label=_box_label(box), **_box_attrs(box))
    for arrow in scene.arrows:
        graph.edge(arrow.tail, arrow.head, **_arrow_attrs(arrow))
    keep_order(graph, scene.sibling_runs)
    return graph.source


def keep_order(graph: graphviz.Digraph, runs: list[list[str]]) -> None:
    """Stack each run of sibling boxes (a layer's neurons) in its order: dot would reorder
    them (10..15, 0..9); one rank with invisible edges between neighbours keeps 0..15."""
    for run in runs:
        graph.body.append("\t{rank=same; " + " -> ".join(run) + " [style=invis]}\n")


def render(scene: Scene, fmt: str, dpi: int = 144) -> bytes:
    """The picture as ``fmt`` (png, svg, pdf) bytes, drawn by ``dot``.

    Raises ``graphviz.ExecutableNotFound`` when ``dot`` is missing.
    """
    source = to_dot(scene, dpi=dpi if fmt == "png" else None)
    return graphviz.Source(source).pipe(format=fmt)


def placed_dot(scene: Scene, placement: Placement, dpi: float | None = None) -> str:
    """The DOT source of ``scene`` with every position fixed by ``placement`` (for ``neato -n2``)."""
    width, height = placement.canvas(bool(scene.caption))
    graph_attr = {"bgcolor": "white", "splines": "true", "pad": "0"}
    if dpi is not None:
        graph_attr["dpi"] = f"{dpi:.2f}"
    graph = graphviz.Digraph(
        "backprop",
        graph_attr=graph_attr,
        node_attr={"fontname": FONT, "fontsize": str(style.FONT_SIZE), "fixedsize": "true"},
        edge_attr={"fontname": FONT, "fontsize": str(style.EDGE_FONT_SIZE), "color": style.EDGE_COLOR},
    )
    pin = {"shape": "point", "style": "invis", "width": "0.01", "height": "0.01"}
    graph.node("corner0", pos="0,0!", **pin)
    graph.node("corner1", pos=f"{width:.2f},{height:.2f}!", **pin)
    if scene.caption:
        x, y = placement.caption_at()
        w = placement.caption_width + 4
        cell = f'WIDTH="{w:.0f}" HEIGHT="{style.CAPTION_FONT_SIZE * 1.6:.0f}"'
        text = html.escape(scene.caption, quote=False)
        label = (f'<<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0" FIXEDSIZE="TRUE" {cell}><TR>'
                 f'<TD ALIGN="LEFT" FIXEDSIZE="TRUE" {cell}>{text}</TD></TR></TABLE>>')
        graph.node("caption", label=label, shape="plaintext", pos=f"{x + w / 2:.2f},{y:.2f}!",
                   width=f"{w / 72:.4f}", height=f"{style.CAPTION_FONT_SIZE * 1.6 / 72:.4f}",
                   fontsize=str(style.CAPTION_FONT_SIZE))
    for box in scene.boxes:
        (x, y), (w, h) = placement.centres[box.key], placement.sizes[box.key]
        attrs = _box_attrs(box)
        attrs.update(pos=f"{x:.2f},{y:.2f}!", width=f"{w / 72:.4f}", height=f"{h / 72:.4f}")
        graph.node(box.key, label=_box_label(box), **attrs)
    for arrow, route in zip(scene.arrows, placement.routes):
        attrs = _arrow_attrs(arrow)
        attrs["pos"] = as_dot_pos(route)
        if arrow.label:
            attrs["lp"] = f"{route.label_at[0]:.2f},{route.label_at[1]:.2f}"
        graph.edge(arrow.tail, arrow.head, **attrs)
    return graph.source


def render_placed(scene: Scene, placement: Placement, fmt: str, dpi: float = 144) -> bytes:
    """The picture as ``fmt`` bytes, every position from ``placement`` (drawn by ``neato -n2``)."""
    source = placed_dot(scene, placement, dpi=dpi if fmt == "png" else None)
    return graphviz.Source(source, engine="neato").pipe(format=fmt, neato_no_op=2, quiet=True)


def _box_attrs(box: Box) -> dict[str, str]:
    shape = {"value": "box", "op": "ellipse", "group": "box"}[box.kind]
    styles = ["filled"]
    if box.kind == "value":
        styles.append("rounded")
    if box.pending:
        styles.append("dashed")
    attrs = {
        "shape": shape,
        "style": ",".join(styles),
        "fillcolor": style.CURRENT_FILL if box.current else style.BOX_FILL[box.kind],
        "color": style.CURRENT_BORDER if box.current else style.BOX_BORDER[box.kind],
        "penwidth": "2.5" if box.current else "1.2",
        "margin": "0.08,0.04" if box.kind == "op" else "0.12,0.06",
    }
    if box.kind == "group":
        attrs["peripheries"] = "2"
    return attrs


def _box_label(box: Box) -> str:
    rows = []
    for line in box.lines:
        text = html.escape(line.text, quote=False)
        if line.style == "title":
            text = f"<B>{text}</B>"
        elif line.style in ("pending", "note"):
            text = f"<I>{text}</I>"
        rows.append(f'<TR><TD><FONT COLOR="{style.TEXT_COLOR[line.style]}">{text}</FONT></TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


def _arrow_attrs(arrow: Arrow) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if arrow.label:
        text = html.escape(arrow.label, quote=False)
        if arrow.current:
            text = f"<B>{text}</B>"
        attrs["label"] = f"<{text}>"
        colour = style.CURRENT_EDGE if arrow.current else style.EDGE_LABEL_COLOR[arrow.label_style]
        attrs["fontcolor"] = colour
    if arrow.current:
        attrs.update(color=style.CURRENT_EDGE, penwidth="2.5")
    elif arrow.faint:
        attrs.update(color=style.FAINT_EDGE_COLOR, penwidth=str(style.FAINT_EDGE_WIDTH),
                     arrowsize=str(style.FAINT_ARROW_SIZE))
    elif arrow.label_style == "pending":
        attrs["style"] = "dashed"
    return attrs

"""``viz.draw``: the picture of a graph, forward or backward, and the object it returns.

A :class:`GraphPicture` holds a renderer-independent scene (see ``viz.scene``) and the
renderer to draw it with. It saves itself (``.png``, ``.svg``, ``.pdf``, or the DOT
text as ``.dot``/``.gv``), gives its DOT text (``to_dot()``, no system program needed)
and shows itself in Jupyter through its own ``_repr_mimebundle_``.

Renderers: ``"graphviz"`` (the ``dot`` program lays it out) and ``"matplotlib"``
(``viz.layout``'s layered layout, no system program). ``"auto"`` picks graphviz when
``dot`` is on PATH and matplotlib otherwise, and falls back to matplotlib if ``dot``
fails, so a notebook never shows an error because graphviz is missing.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

import graphviz

from . import render_dot, render_mpl
from .placement import Placement, place, too_slow_for_dot, wrap_needed
from .render_svg import responsive
from autodiff import checks, topological_order

from .scene import DEFAULT_MAX_NODES, Scene, View, build_scene, check_direction, check_hide, check_size
from .trace import BackwardTrace, can_trace

ENGINES = ("auto", "graphviz", "matplotlib")
FORMATS = ("png", "svg", "pdf")
DRIFT = 1.6  # how much more room dot's wrapped layout may take than viz.layout's

CAPTION_FORWARD = "forward pass: the value of every node; ops numbered in evaluation order"
CAPTION_BACKWARD = "backward pass: every edge reads upstream × local = downstream"
CAPTION_NOT_YET = (
    "not backpropagated yet: call .backward() or step through it with viz.BackpropStepper "
    "(edges: ? × local = ?)"
)
CAPTION_EXERCISE = "exercise: fill in the blanks (every edge: upstream × local = downstream)"
CAPTION_GROUPED = " · grouped by {group!r}: a box per module"
# pictures whose edges carry no chain rule in numbers: grouped arrows, tensor edges
CAPTION_FORWARD_GROUPED = "forward pass: the value of every box"
CAPTION_BACKWARD_BOXES = "backward pass: each box's value and gradient; arrows carry no numbers"
CAPTION_BACKWARD_TENSOR = "backward pass: every edge shows the shape of the gradient it carries"
CAPTION_EXERCISE_BOXES = "exercise: fill in the blanks (each box's gradient)"


def resolve_engine(engine: str) -> str:
    """The renderer ``engine`` stands for: "auto" becomes graphviz when ``dot`` is on PATH."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")
    if engine == "auto":
        return "graphviz" if render_dot.dot_available() else "matplotlib"
    if engine == "graphviz" and not render_dot.dot_available():
        raise RuntimeError(
            "engine='graphviz' needs the `dot` program of graphviz on PATH, which is missing: install "
            "graphviz (e.g. `apt-get install graphviz`), or use engine='matplotlib' (or 'auto')"
        )
    return engine


class GraphPicture:
    """A picture of a graph, ready to save or show (returned by :func:`draw`).

    ``engine`` is the renderer that draws it ("graphviz" or "matplotlib"); ``scene``
    holds every box, arrow and line of text, whichever renderer draws it.
    ``placement`` (a stepper's frames): the one layout every frame is drawn with, see
    ``viz.placement``; None lays the picture out on its own. ``dpi``: of PNG output.
    """

    def __init__(self, scene: Scene, engine: str = "auto", placement: Placement | None = None,
                 dpi: float = 144) -> None:
        self.scene = scene
        self._auto = engine == "auto"
        self.engine = resolve_engine(engine)
        self.placement = placement
        self.dpi = dpi

    def __repr__(self) -> str:
        return (
            f"<GraphPicture: {len(self.scene.boxes)} boxes, {len(self.scene.arrows)} arrows, "
            f"{self.scene.node_count} graph nodes, engine={self.engine!r}>"
        )

    def to_dot(self) -> str:
        """The DOT text of the picture (works without the ``dot`` program)."""
        return render_dot.to_dot(self.scene)

    def figure(self):
        """The picture as a matplotlib Figure, drawn by the matplotlib renderer."""
        return render_mpl.figure(self.scene, self.placement)

    def render(self, format: str = "png") -> bytes:
        """The picture as bytes in ``format`` ("png", "svg" or "pdf")."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        if self.engine == "graphviz":
            try:
                placement = self.placement if self.placement is not None else self._wrapped_placement()
                if placement is not None:
                    return responsive(render_dot.render_placed(self.scene, placement, format, self.dpi), format)
                return responsive(render_dot.render(self.scene, format), format)
            except (graphviz.ExecutableNotFound, subprocess.CalledProcessError) as error:
                if not self._auto:
                    raise
                warnings.warn(
                    f"graphviz could not draw the picture ({error}); using matplotlib", stacklevel=2
                )
                self.engine = "matplotlib"
        return responsive(render_mpl.render(self.scene, format, self.dpi, self.placement), format)

    def _wrapped_placement(self) -> Placement | None:
        """A long graph's layout wrapped into rows (``viz.placement.wrap``) for ``dot``'s
        drawing, None when the graph fits as ``dot`` lays it out (the common case: a quick
        left-to-right layout of our own tells, so ``dot`` runs once then).

        ``dot``'s own layout, wrapped, unless its rows drift (``dot`` lets a long chain
        climb a step per node) so that it takes far more room than the level rows of
        ``viz.layout``'s, which ``dot`` then draws instead; ``viz.layout``'s too when ``dot``
        would take long to lay the graph out (``viz.placement.too_slow_for_dot``).
        """
        own = place([self.scene], "matplotlib")
        if too_slow_for_dot([self.scene]):  # a leaf read all along a long chain: dot would take minutes
            return own
        if not wrap_needed(own):
            return None
        placement = place([self.scene], "graphviz")
        if placement.graph_width * placement.graph_height > DRIFT * own.graph_width * own.graph_height:
            return own
        return placement if placement.rows > 1 else None

    def save(self, path: str | Path) -> Path:
        """Write the picture to ``path``; the suffix picks the format: .png, .svg, .pdf, or
        .dot/.gv for the DOT text. Returns the path."""
        path = Path(check_path(path, "GraphPicture.save"))
        suffix = path.suffix.lower().lstrip(".")
        if suffix in ("dot", "gv"):
            path.write_text(self.to_dot(), encoding="utf-8")
        elif suffix in FORMATS:
            path.write_bytes(self.render(suffix))
        else:
            raise ValueError(f"GraphPicture.save: cannot save a picture as path {path.name!r}: "
                             "use .png, .svg, .pdf, .dot or .gv")
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Jupyter's display: SVG from graphviz (crisp at any zoom), PNG from matplotlib."""
        if self.engine == "graphviz":
            return {"image/svg+xml": self.render("svg").decode("utf-8"), "text/plain": repr(self)}
        return {"image/png": self.render("png"), "text/plain": repr(self)}


def check_path(path: Any, owner: str) -> Any:
    """``path`` if it is a file name (a str or an os.PathLike), else a TypeError naming it."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{owner}: path must be a file name (a str or a Path), got {type(path).__name__} {path!r}")
    return path


def draw(
    root: Any,
    direction: str = "forward",
    engine: str = "auto",
    hide: Any = None,
    group: str | int | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    caption: str | None = None,
) -> GraphPicture:
    """The picture of the graph that computed ``root`` (a Value or Tensor).

    - ``direction="forward"``: every node's label, op and value, ops numbered in
      evaluation order. ``"backward"``: every node's gradient too, and on every edge the
      chain rule in numbers, ``upstream × local = downstream``; a node used several times
      shows each contribution and their sum. Until ``root.backward()`` has run, gradients
      read "not computed yet" (never 0) and edges ``? × local = ?``.
      The numbers come from one backward pass run on the side (``viz.trace``): drawing
      never changes any ``.grad``.
    - ``engine``: "auto" (graphviz if ``dot`` is on PATH, else matplotlib), "graphviz"
      or "matplotlib".
    - ``hide="grad"`` (exercise mode): blanks where the gradients go, the local
      derivatives still shown; ``"local"`` hides those instead; ``("grad", "local")`` both.
      Check the answers with :func:`viz.check_gradients`.
    - ``group``: collapse the nodes each module made (over all its calls, with its
      parameters) into one box: a scope name (``"Neuron"``, ``"Layer"``) or a depth in the
      scope path (1 = outermost). See ``viz.grouping``. The inputs stay boxes of their
      own, a layer's neurons are stacked in order, and the arrows of a dense band (every
      neuron reading every neuron of the layer before) are drawn thin and light.
      Parameters are titled by their path in the model (``0.weight``), as
      ``named_parameters()`` names them; a label you gave one stays its title.
    - ``max_nodes``: the most boxes to draw; a bigger picture raises
      :class:`viz.GraphTooLargeError`, whose message says how to group it instead.
    - ``caption``: the line above the picture (None: one that explains the picture,
      "": none).
    """
    checks.node(root, "draw", "root")
    checks.text(caption, "draw", "caption", optional=True)
    check_direction(direction)
    hidden = check_hide(hide)
    resolve_engine(engine)  # a bad or unusable engine fails before any work
    order = topological_order(root)
    grouping = check_size(order, group, max_nodes)  # and a graph too big to draw: before the trace
    trace = None
    applied = -1
    if direction == "backward" and can_trace(root):
        trace = BackwardTrace(root, order=order)
        if trace.backpropagated or hidden:
            applied = len(trace)
    view = View(direction=direction, trace=trace, applied=applied, hide=hidden, group=group,
                max_nodes=max_nodes, caption=caption or "")
    scene = build_scene(root, view, order, grouping)
    if caption is None:
        scene.caption = _default_caption(direction, hidden, applied >= 0, group, scene)
    return GraphPicture(scene, engine)


def _default_caption(direction: str, hidden: frozenset, computed: bool, group: Any, scene: Scene) -> str:
    """The caption that explains ``scene``, promising only what it draws: the chain rule
    on the edges only when some edge carries it (grouped arrows carry no numbers, tensor
    edges the gradient's shape), the evaluation order only when op boxes show it."""
    chain = scene.chain_rule_edges > 0
    tensor = any(a.label.startswith("grad (") for a in scene.arrows)
    if direction == "forward":
        caption = CAPTION_FORWARD if scene.op_boxes else CAPTION_FORWARD_GROUPED
    elif hidden:
        caption = CAPTION_EXERCISE if chain else CAPTION_EXERCISE_BOXES
    elif not computed:
        caption = CAPTION_NOT_YET if chain else CAPTION_NOT_YET.split(" (edges")[0]
    elif chain:
        caption = CAPTION_BACKWARD
    else:
        caption = CAPTION_BACKWARD_TENSOR if tensor else CAPTION_BACKWARD_BOXES
    if group is not None:
        if chain:  # some edges are drawn ungrouped, with their numbers; the grouped ones without
            caption = caption.replace("every edge reads", "each labelled edge reads").replace(
                "every edge:", "each labelled edge:")
        caption += CAPTION_GROUPED.format(group=group)
        if scene.counted_arrows:
            caption += ", ×k: k edges in one arrow"
        if scene.faint_arrows:
            caption += f", {scene.faint_arrows} crowded arrows in light grey"
    return caption

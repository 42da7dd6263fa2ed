"""``viz.BackpropStepper``: backprop (or the forward pass) one node at a time, as pictures.

Backward frames come from ``autodiff.backward_steps``, the engine's own loop, recorded
once by ``viz.trace.BackwardTrace``: the stepper never re-implements the chain rule.
That recording runs on the side: it saves every ``.grad``, clears them, runs the pass
and puts the saved ones back, so rendering any step leaves the user's gradients exactly
as they were (and a graph that was already backpropagated is not counted twice).

Frame 0 is the start; frame k (1 <= k < len) shows the state after step k:

- backward: frame 0 is the seed (d root/d root = 1, every other gradient "not computed
  yet"); step k is the k-th node that passes its complete gradient on to its parents.
  That node is highlighted with its incoming edges, which now read
  ``upstream × local = downstream``; gradients not reached yet say so.
- forward: frame 0 shows the inputs; step k computes the k-th operation in evaluation
  order (highlighted); values not computed yet say so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Iterator

from autodiff import topological_order

from . import animation
from . import formatting as fmt
from .picture import DEFAULT_MAX_NODES, GraphPicture, resolve_engine
from .scene import View, build_scene, check_direction
from .trace import BackwardTrace

INFIX = ("+", "-", "*", "/", "**", "@")


class BackpropStepper:
    """The backward (default) or forward pass of ``root``'s graph, one frame per step.

    ``len(stepper)`` frames; ``render(k)`` is frame k as a :class:`viz.GraphPicture`
    (negative k counts from the end); ``frames()`` yields them all; ``caption(k)`` says in
    words what step k did; ``grad(k, node)`` is the gradient frame k shows for ``node``
    (None: not computed yet); ``save_gif(path)`` writes the animation. In Jupyter it shows
    as a widget (previous / play / next) when ipywidgets is installed, else as an HTML
    animation that also works on a static page (``to_html()``).

    ``grad`` seeds the backward pass (default: the root's own gradient if it has been
    through ``backward()``, else 1); ``engine``, ``group`` and ``max_nodes`` are as in
    :func:`viz.draw`.
    """

    def __init__(
        self,
        root: Any,
        direction: str = "backward",
        grad: Any = None,
        engine: str = "auto",
        group: str | int | None = None,
        max_nodes: int = DEFAULT_MAX_NODES,
    ) -> None:
        self.root = root
        self.direction = check_direction(direction)
        resolve_engine(engine)
        self.engine = engine
        self.group = group
        self.max_nodes = max_nodes
        if direction == "backward":
            self.trace: BackwardTrace | None = BackwardTrace(root, grad)
            self.order = self.trace.order
            self._movers = [step.node for step in self.trace.steps]
        else:
            self.trace = None
            self.order = topological_order(root)
            self._movers = [node for node in self.order if node.parents]
        self.render(0)  # a graph too big to draw fails here, not at the first frame

    def __len__(self) -> int:
        """The number of frames: the start plus one per step."""
        return len(self._movers) + 1

    def __repr__(self) -> str:
        return f"<BackpropStepper: {self.direction}, {len(self)} frames, {len(self.order)} graph nodes>"

    def _frame(self, k: int) -> int:
        if not isinstance(k, int):
            raise TypeError(f"frame number must be an int, got {type(k).__name__}")
        n = len(self)
        if not -n <= k < n:
            raise IndexError(f"frame {k} out of range: this stepper has {n} frames (0 to {n - 1})")
        return k % n

    def view(self, k: int) -> View:
        """The state frame ``k`` shows (see ``viz.scene.View``)."""
        k = self._frame(k)
        common = dict(group=self.group, max_nodes=self.max_nodes, caption=self.caption(k))
        if self.direction == "backward":
            current = self.root if k == 0 else self._movers[k - 1]
            return View(direction="backward", trace=self.trace, applied=k, current=current, **common)
        current = self._movers[k - 1] if k > 0 else None
        return View(direction="forward", evaluated=k, current=current, **common)

    def render(self, k: int) -> GraphPicture:
        """Frame ``k``: the graph after step ``k``, the current node and its edges highlighted."""
        return GraphPicture(build_scene(self.root, self.view(k), self.order), self.engine)

    def frames(self) -> Iterator[GraphPicture]:
        """Every frame, from the start to the last step."""
        for k in range(len(self)):
            yield self.render(k)

    def grad(self, k: int, node: Any) -> Any:
        """The gradient frame ``k`` of the backward pass shows for ``node`` (None: not computed yet)."""
        if self.trace is None:
            raise ValueError("a forward stepper shows no gradients; use BackpropStepper(root) for those")
        return self.trace.grad_after(node, self._frame(k))

    def computed(self, k: int, node: Any) -> bool:
        """Whether frame ``k`` shows ``node``'s value (forward) or complete gradient (backward)."""
        k = self._frame(k)
        if self.trace is None:
            return not node.parents or self._movers.index(node) < k
        received = self.trace.received(node)
        if node is self.root:
            return True
        return bool(received) and received[-1].step <= k

    # -- words -----------------------------------------------------------------

    def caption(self, k: int) -> str:
        """What step ``k`` did, in words and numbers."""
        k = self._frame(k)
        head = f"step {k} of {len(self) - 1}: "
        if self.direction == "forward":
            if k == 0:
                leaves = [node for node in self.order if not node.parents]
                shown = ", ".join(f"{_name(n)} = {_short(n.data)}" for n in leaves[:6])
                more = f" and {len(leaves) - 6} more" if len(leaves) > 6 else ""
                return head + f"the inputs {shown}{more}"
            return head + _formula(self._movers[k - 1])
        root = _name(self.root)
        if k == 0:
            return head + f"start at {root}: d{root}/d{root} = {_short(self.trace.seed)}"
        step = self.trace.steps[k - 1]
        passes = []
        for edge in step.edges:
            if edge.contribution is None:
                continue
            if edge.local is None:
                shape = fmt.shape_text(fmt.plain(edge.contribution).shape)
                passes.append(f"{_name(edge.parent)} += grad {shape}")
            else:
                passes.append(
                    f"{_name(edge.parent)} += {_short(step.upstream)} × {_short(edge.local)} = "
                    f"{_short(edge.contribution)}"
                )
        return head + f"at {_name(step.node)} (grad {_short(step.upstream)}): " + ", ".join(passes)

    # -- animations -------------------------------------------------------------

    def _pngs(self) -> list[bytes]:
        return [picture.render("png") for picture in self.frames()]

    def _captions(self) -> list[str]:
        return [self.caption(k) for k in range(len(self))]

    def save_gif(self, path: str | Path, seconds_per_frame: float = 1.5) -> Path:
        """An animated GIF of every frame (the last one held twice as long)."""
        return animation.write_gif(self._pngs(), path, seconds_per_frame)

    def to_html(self, seconds_per_frame: float = 1.5) -> str:
        """A self-contained HTML player (previous / play / next, slider) that needs no kernel."""
        return animation.html_player(self._pngs(), self._captions(), seconds_per_frame)

    def widget(self, seconds_per_frame: float = 1.5):
        """An ipywidgets player (needs ipywidgets: ``pip install ipywidgets``)."""
        return animation.widget(self._pngs(), self._captions(), seconds_per_frame)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _ipython_display_(self) -> None:
        """Jupyter: the widget when ipywidgets is installed, else the HTML player."""
        from IPython.display import display

        if importlib.util.find_spec("ipywidgets") is not None:
            display(self.widget())
        else:
            display({"text/html": self.to_html(), "text/plain": repr(self)}, raw=True)


def _name(node: Any) -> str:
    if node.label:
        return node.label
    if not node.parents:
        return _short(node.data)
    return f"[{node.op}]"


def _short(x: Any) -> str:
    """A number for a caption; an array by its shape, ``(2, 3) array``."""
    x = fmt.plain(x)
    return f"{fmt.shape_text(x.shape)} array" if fmt.is_array(x) else fmt.number(x)


def _operand(node: Any, first: bool, op: str) -> str:
    """A value inside a formula, in parentheses when negative (except leading a + - * /)."""
    text = _short(node.data)
    if text.startswith("-") and (not first or op.startswith("**")):
        return f"({text})"
    return text


def _formula(node: Any) -> str:
    """``q = x + y = -2 + 5 = 3``: the forward rule of one op, in names and numbers."""
    op, parents, name, out = node.op, node.parents, _name(node), _short(node.data)
    if op in INFIX and len(parents) == 2:
        a, b = parents
        names = f"{_name(a)} {op} {_name(b)}"
        numbers = f"{_operand(a, True, op)} {op} {_operand(b, False, op)}"
    elif op.startswith("**") and len(parents) == 1:
        names = f"{_name(parents[0])}{op}"
        numbers = f"{_operand(parents[0], True, op)}{op}"
    elif op == "neg":
        names = f"-{_name(parents[0])}"
        numbers = f"-({_short(parents[0].data)})"
    else:
        names = f"{op}({', '.join(_name(p) for p in parents)})"
        numbers = f"{op}({', '.join(_short(p.data) for p in parents)})"
    if any(fmt.is_array(p.data) for p in parents) or fmt.is_array(node.data):
        return f"{name} = {names} → {out}"
    return f"{name} = {names} = {numbers} = {out}"

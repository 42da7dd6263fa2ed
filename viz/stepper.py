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

Grouped (``group="Neuron"``), a frame runs all the steps inside one module at once, the
modules in an order the pass allows (see ``_module_runs``). Every frame is drawn with one
layout of the whole graph (``viz.placement``), so frames differ only where a step acted;
``to_html()`` is the player (``viz.player``), which draws that layout once as SVG.
"""

from __future__ import annotations

import heapq
import re
import subprocess
import warnings
from pathlib import Path
from typing import Any, Iterator

import graphviz

from autodiff import checks, topological_order

from . import animation, player
from . import formatting as fmt
from .picture import DEFAULT_MAX_NODES, GraphPicture, check_path, resolve_engine
from .placement import Placement, place, too_slow_for_dot
from .scene import Scene, View, build_scene, check_direction, check_size
from .trace import BackwardTrace

MAX_FRAME_PIXELS = 2400  # the longer side of a frame (GIF, widget): sane sizes for any graph
MAX_PASSES = 3  # a grouped frame's caption lists this many gradients leaving the module


class BackpropStepper:
    """The backward (default) or forward pass of ``root``'s graph, one frame per step.

    ``len(stepper)`` frames; ``render(k)`` is frame k as a :class:`viz.GraphPicture`
    (negative k counts from the end); ``frames()`` yields them all; ``caption(k)`` says in
    words what step k did; ``grad(k, node)`` is the gradient frame k shows for ``node``
    (None: not computed yet); ``save_gif(path)`` writes the animation; ``to_html()`` is
    the player (previous / play / next, a slider), one self-contained HTML fragment that
    needs no kernel, and what Jupyter shows.

    Every frame is drawn with one layout of the whole graph (``placement()``): boxes stay
    where they are and keep their size, only words and highlights change.

    ``grad`` seeds the backward pass (default: the root's own gradient if it has been
    through ``backward()``, else 1); ``engine``, ``group`` and ``max_nodes`` are as in
    :func:`viz.draw`. A grouped stepper steps module by module: one frame per run of
    steps inside one group (``group="Neuron"``: neuron by neuron).
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
        self.root = checks.node(root, "BackpropStepper", "root")
        self.direction = check_direction(direction)
        resolve_engine(engine)
        self.engine = engine
        self.group = group
        self.max_nodes = max_nodes
        order = topological_order(root)
        # a graph too big to draw fails now, before any work; every frame reuses the grouping
        self._grouping = check_size(order, group, max_nodes)
        self.order = order
        if direction == "backward":
            self.trace: BackwardTrace | None = BackwardTrace(root, grad, order=order)
            self._movers = [step.node for step in self.trace.steps]
        else:
            self.trace = None
            self._movers = [node for node in self.order if node.parents]
        membership, _ = self._grouping
        self._membership = membership
        self._runs = _module_runs(self._movers, membership, self.direction)
        self._done = [0]  # steps (or ops) done by the end of each frame
        for run in self._runs:
            self._done.append(self._done[-1] + len(run))
        # which steps (ops) have run by frame k, by their number in the engine's order; None
        # where that is simply the first _done[k] of them (always, unless grouped)
        self._ran: list[frozenset | None] = [None] * len(self)
        number = {id(node): i for i, node in enumerate(self._movers, start=1)}
        if [node for run in self._runs for node in run] != self._movers:
            ran: set[int] = set()
            for k, run in enumerate(self._runs, start=1):
                ran.update(number[id(node)] for node in run)
                self._ran[k] = frozenset(ran)
        self._numbers = fmt.op_numbers(self.order)  # "#3 +": the op numbers of the forward picture
        self._scenes: list[Scene | None] = [None] * len(self)
        self._placement: Placement | None = None

    def __len__(self) -> int:
        """The number of frames: the start plus one per step (per module's run of steps when grouped)."""
        return len(self._runs) + 1

    def __repr__(self) -> str:
        return f"<BackpropStepper: {self.direction}, {len(self)} frames, {len(self.order)} graph nodes>"

    def _frame(self, k: int) -> int:
        if not isinstance(k, int) or isinstance(k, bool):
            raise TypeError(f"BackpropStepper: k, the frame number, must be an int, got {type(k).__name__}")
        n = len(self)
        if not -n <= k < n:
            raise IndexError(f"BackpropStepper: frame k={k} is out of range: this stepper has {n} frames (0 to {n - 1})")
        return k % n

    def steps_done(self, k: int) -> int:
        """How many engine steps (backward) or ops (forward) have run by frame ``k``."""
        return self._done[self._frame(k)]

    def view(self, k: int) -> View:
        """The state frame ``k`` shows (see ``viz.scene.View``)."""
        k = self._frame(k)
        common = dict(group=self.group, max_nodes=self.max_nodes, caption=self.caption(k))
        if k == 0:
            current: Any = self.root if self.direction == "backward" else None
        else:
            run = self._runs[k - 1]
            current = run[0] if len(run) == 1 else list(run)
        ran = self._ran[k]
        if self.direction == "backward":
            return View(direction="backward", trace=self.trace, applied=self._done[k], current=current, ran=ran,
                        **common)
        return View(direction="forward", evaluated=self._done[k], current=current, ran=ran, **common)

    def scene(self, k: int) -> Scene:
        """Every box, arrow and word of frame ``k`` (``viz.scene.Scene``)."""
        k = self._frame(k)
        if self._scenes[k] is None:
            self._scenes[k] = build_scene(self.root, self.view(k), self.order, self._grouping)
        return self._scenes[k]

    def placement(self) -> Placement:
        """The one layout of every frame: boxes fitted to the widest text any frame shows."""
        if self._placement is None:
            scenes = [self.scene(k) for k in range(len(self))]
            engine = resolve_engine(self.engine)
            if engine == "graphviz" and not too_slow_for_dot(scenes):  # else viz.layout's, drawn by dot
                try:
                    self._placement = place(scenes, "graphviz")
                except (graphviz.ExecutableNotFound, subprocess.CalledProcessError) as error:
                    if self.engine != "auto":
                        raise
                    warnings.warn(f"graphviz could not lay out the graph ({error}); using matplotlib",
                                  stacklevel=2)
                    self.engine = "matplotlib"
            if self._placement is None:
                self._placement = place(scenes, "matplotlib")
        return self._placement

    def render(self, k: int, max_pixels: int = MAX_FRAME_PIXELS) -> GraphPicture:
        """Frame ``k``: the graph after step ``k``, the current node and its edges highlighted.

        Drawn with the stepper's one layout; PNG output at 144 dpi, lowered so the longer
        side stays within ``max_pixels``.
        """
        checks.whole(max_pixels, "BackpropStepper.render", "max_pixels", minimum=1)
        placement = self.placement()
        engine = placement.engine if self.engine == "auto" else self.engine
        return GraphPicture(self.scene(k), engine, placement, placement.dpi(144, max_pixels))

    def frames(self) -> Iterator[GraphPicture]:
        """Every frame, from the start to the last step."""
        for k in range(len(self)):
            yield self.render(k)

    def grad(self, k: int, node: Any) -> Any:
        """The gradient frame ``k`` of the backward pass shows for ``node`` (None: not computed yet)."""
        if self.trace is None:
            raise ValueError("a forward stepper shows no gradients; use BackpropStepper(root) for those")
        k = self._frame(k)
        if self._ran[k] is None or node is self.root:
            return self.trace.grad_after(node, self._done[k])
        total = None
        for received in self.trace.received(node):  # added in the engine's order, as backward() does
            if received.step in self._ran[k]:
                total = received.contribution if total is None else total + received.contribution
        return total

    def _has_run(self, k: int, number: int) -> bool:
        """Whether step (op) ``number`` of the engine's order has run by frame ``k``."""
        ran = self._ran[k]
        return number <= self._done[k] if ran is None else number in ran

    def computed(self, k: int, node: Any) -> bool:
        """Whether frame ``k`` shows ``node``'s value (forward) or complete gradient (backward)."""
        k = self._frame(k)
        if self.trace is None:
            return not node.parents or self._has_run(k, self._movers.index(node) + 1)
        received = self.trace.received(node)
        if node is self.root:
            return True
        return bool(received) and all(self._has_run(k, r.step) for r in received)

    # -- words -----------------------------------------------------------------

    def caption(self, k: int) -> str:
        """What step ``k`` did, in words and numbers."""
        k = self._frame(k)
        head = f"step {k} of {len(self) - 1}: "
        run = self._runs[k - 1] if k > 0 else []
        if self.direction == "forward":
            if k == 0:
                leaves = [node for node in self.order if not node.parents]
                shown = ", ".join(f"{n.label} = {_short(n.data)}" if n.label else _short(n.data) for n in leaves[:6])
                more = f" and {len(leaves) - 6} more" if len(leaves) > 6 else ""
                return head + f"the inputs {shown}{more}"
            if len(run) > 1:
                group = self._membership[id(run[0])]
                return head + f"through {group.title} ({len(run)} ops): " + "; ".join(
                    _formula(node, self._name) for node in run[-2:]
                )
            return head + _formula(run[0], self._name)
        root = self._name(self.root)
        if k == 0:
            d = f"d({root})" if " " in root else f"d{root}"
            return head + f"start at {root}: {d}/{d} = {_short(self.trace.seed)}"
        if len(run) > 1:
            return head + self._group_caption(run)
        step = self.trace.step_of(run[0])
        return head + f"at {self._name(step.node)} (grad {_short(step.upstream)}): " + ", ".join(
            _passes(step, self._name)
        )

    def _name(self, node: Any) -> str:
        """A node in a caption: its label, else ``#3 +`` (its op and the number the forward
        picture shows), else a leaf's value."""
        return fmt.node_name(node, self._numbers)

    def _group_caption(self, run: list) -> str:
        """A module's run of backward steps: its output's gradient, and what leaves the module."""
        group = self._membership[id(run[0])]
        first = self.trace.step_of(run[0])
        inside = {id(node) for node in group.members}
        leaving = []
        def name(node: Any) -> str:  # a value another module made: that module's output
            owner = self._membership.get(id(node))
            return f"{owner.title} out" if owner is not None else self._name(node)

        for node in run:
            step = self.trace.step_of(node)
            leaving += _passes(step, name, lambda parent: id(parent) not in inside)
        params = sum(1 for node in group.members if not node.parents and self.trace.received(node))
        text = f"through {group.title} ({len(run)} steps, from its output's grad {_short(first.upstream)})"
        if params:
            text += f": {params} parameter grads inside"
        if leaving:
            shown = leaving[:MAX_PASSES]
            more = f" and {len(leaving) - MAX_PASSES} more" if len(leaving) > MAX_PASSES else ""
            text += ("; " if params else ": ") + ", ".join(shown) + more
        return text

    # -- animations -------------------------------------------------------------

    def _pngs(self, max_pixels: int = MAX_FRAME_PIXELS) -> list[bytes]:
        return animation.render_all([self.render(k, max_pixels) for k in range(len(self))])

    def _captions(self) -> list[str]:
        return [self.caption(k) for k in range(len(self))]

    def save_gif(self, path: str | Path, seconds_per_frame: float = 1.5, max_pixels: int = MAX_FRAME_PIXELS) -> Path:
        """An animated GIF of every frame (the last one held twice as long); frames at most
        ``max_pixels`` on their longer side."""
        owner = "BackpropStepper.save_gif"
        check_path(path, owner)
        checks.real(seconds_per_frame, owner, "seconds_per_frame", low=0.0, low_open=True)
        checks.whole(max_pixels, owner, "max_pixels", minimum=1)
        return animation.write_gif(self._pngs(max_pixels), path, seconds_per_frame)

    def to_html(self, seconds_per_frame: float = 1.5) -> str:
        """The player: one self-contained HTML fragment that needs no kernel and fetches
        nothing (see ``viz.player``): the graph drawn once as SVG, every frame's words and
        highlights as data, previous / play / next, a slider and the step's caption."""
        checks.real(seconds_per_frame, "BackpropStepper.to_html", "seconds_per_frame", low=0.0, low_open=True)
        scenes = [self.scene(k) for k in range(len(self))]
        return player.player_html(scenes, self.placement(), seconds_per_frame)

    def widget(self, seconds_per_frame: float = 1.5):
        """An ipywidgets player (needs ipywidgets), frames drawn when shown; only in a live
        kernel (``to_html()`` is the player that also works exported)."""
        return animation.widget(self._widget_frame, self._captions(), seconds_per_frame)

    def _widget_frame(self, k: int) -> bytes:
        scene = self.scene(k)
        bare = Scene(scene.boxes, scene.arrows, "", scene.node_count)  # the caption is shown beside it
        placement = self.placement()
        engine = placement.engine if self.engine == "auto" else self.engine
        return GraphPicture(bare, engine, placement, placement.dpi(144, MAX_FRAME_PIXELS, False)).render("png")

    def _repr_html_(self) -> str:
        return self.to_html()

    def _ipython_display_(self) -> None:
        """Jupyter: the HTML player (it keeps working in an exported notebook)."""
        from IPython.display import display

        display({"text/html": self.to_html(), "text/plain": repr(self)}, raw=True)


def _module_runs(movers: list, membership: dict, direction: str) -> list[list]:
    """The frames' steps: each step alone, except that the steps inside one group (module)
    run together, in one frame.

    The engine interleaves modules (an output neuron's sum is built term by term, each
    term after a whole neuron of the layer before), so the groups are put in an order the
    pass allows: a module's steps run once every step they wait for outside it has run
    (backward: its nodes' consumers; forward: their inputs), modules in the order of their
    first step. Within a module the engine's order stays. Should the modules wait on each
    other in a cycle, the frames are the engine's own runs of consecutive steps instead.
    """
    if not membership:
        return [[node] for node in movers]
    unit_of = {id(node): id(membership.get(id(node), node)) for node in movers}
    members: dict[int, list] = {}
    first: dict[int, int] = {}
    for i, node in enumerate(movers):
        unit = unit_of[id(node)]
        members.setdefault(unit, []).append(node)
        first.setdefault(unit, i)
    waits: dict[int, set[int]] = {unit: set() for unit in members}  # unit -> units it waits for
    for node in movers:
        for parent in node.parents:
            if id(parent) not in unit_of or unit_of[id(parent)] == unit_of[id(node)]:
                continue
            if direction == "backward":  # the parent's step waits for this node's
                waits[unit_of[id(parent)]].add(unit_of[id(node)])
            else:  # this op waits for its input's
                waits[unit_of[id(node)]].add(unit_of[id(parent)])
    released: dict[int, list[int]] = {unit: [] for unit in members}
    for unit, needs in waits.items():
        for need in needs:
            released[need].append(unit)
    pending = {unit: len(needs) for unit, needs in waits.items()}
    ready = [(first[unit], unit) for unit, count in pending.items() if count == 0]
    heapq.heapify(ready)
    runs = []
    while ready:
        _, unit = heapq.heappop(ready)
        runs.append(members[unit])
        for later in released[unit]:
            pending[later] -= 1
            if pending[later] == 0:
                heapq.heappush(ready, (first[later], later))
    if len(runs) == len(members):
        return runs
    consecutive: list[list] = []
    for node in movers:
        if consecutive and unit_of[id(consecutive[-1][0])] == unit_of[id(node)]:
            consecutive[-1].append(node)
        else:
            consecutive.append([node])
    return consecutive


def _passes(step: Any, name: Any, keep: Any = None) -> list[str]:
    """``x += -4 × 1 = -4`` for each parent a backward step passes a gradient to (those
    ``keep(parent)`` accepts; ``name(parent)`` names them)."""
    passes = []
    for edge in step.edges:
        if edge.contribution is None or (keep is not None and not keep(edge.parent)):
            continue
        if edge.local is None:
            shape = fmt.shape_text(fmt.plain(edge.contribution).shape)
            passes.append(f"{name(edge.parent)} += grad {shape}")
        else:
            passes.append(
                f"{name(edge.parent)} += {_short(step.upstream)} × {_short(edge.local)} = "
                f"{_short(edge.contribution)}"
            )
    return passes


_short = fmt.short


def _slot(template: str, i: int) -> re.Match | None:
    """Where operand ``i`` goes in a ``str.format`` template (``{1}``, ``{0:g}``)."""
    return re.search(r"\{" + str(i) + r"(?:[:!][^{}]*)?\}", template)


def _operands(node: Any, texts: list[str], numbers: bool) -> list[str]:
    """The operands of ``node``'s op, bracketed where its notation needs it to read right.

    Written as a function call (``tanh(-2)``) nothing is bracketed. In an operator
    notation a negative number is, unless it leads the formula with a space after it
    (``-2 + 5``, ``3 * (-4)``, ``(-2)**2``), and so is every number after a prefix
    operator (``-(5)``); a name of several words (``#1 +``) is bracketed wherever it goes.
    """
    template = fmt.notation(node)
    if template is None:
        return texts
    prefix_op = re.fullmatch(r"[^\s{}]+\{0\}", template) is not None
    result = []
    for i, text in enumerate(texts):
        slot = _slot(template, i)
        if slot is None:
            result.append(text)
            continue
        before, after = template[: slot.start()], template[slot.end():]
        if numbers:
            leads = before == "" and (after == "" or after[0].isspace())  # not "{0}**2"
            bracket = prefix_op or (text.startswith("-") and not leads)
        else:
            bracket = " " in text
        result.append(f"({text})" if bracket else text)
    return result


def _formula(node: Any, name: Any) -> str:
    """``q = x + y = -2 + 5 = 3``: the forward rule of one op, in names and numbers, as the
    op spells itself (its ``primitive``'s notation; ``op(a, b)`` without one)."""
    parents, out = node.parents, _short(node.data)
    names = fmt.spell(node, _operands(node, [name(p) for p in parents], numbers=False))
    if any(fmt.is_array(p.data) for p in parents) or fmt.is_array(node.data):
        return f"{name(node)} = {names} → {out}"
    numbers = fmt.spell(node, _operands(node, [_short(p.data) for p in parents], numbers=True))
    return f"{name(node)} = {names} = {numbers} = {out}"

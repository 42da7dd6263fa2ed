"""What a picture shows, independent of the renderer: boxes with lines of text, and arrows.

``build_scene(root, view)`` decides every word of a picture; the graphviz and the
matplotlib renderers only lay it out and draw it, so both show the same information.

Boxes: one per value node (``v<i>``, i its place in topological order), one per
operation (``op<i>``, the op that made node i), and one per group when a big graph is
grouped by scope (``g<j>``). Arrows run the way data flows: parent value -> op -> result.
In a backward picture the arrow from a parent into an op carries the chain rule of that
edge, ``upstream x local = downstream``: the op's result's gradient, the local
derivative d(result)/d(parent), and the contribution added to the parent's gradient.

Grouped pictures draw one arrow per pair of boxes (``×k`` when it stands for k edges);
where many boxes each read many others (every neuron of a layer reads every neuron of
the layer before) the arrows are drawn faint, thin and light, so that the boxes stay
readable, and sibling boxes (the neurons of one layer) are listed in ``sibling_runs``
to be stacked in their order, neuron 0 first.

Names: a parameter is titled by its path in the model, as ``named_parameters()`` gives
it (``0.weight``, ``layers.2.bias``); a label the user gave it stays its title, the
path below it. An op that is all its module made (a ``Linear``'s one ``linear`` node)
names the module by class and index (``Linear 0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from autodiff import topological_order

from . import formatting as fmt
from .grouping import Group, assign_groups, module_names, parameter_names, scope_names
from .trace import BackwardTrace

DIRECTIONS = ("forward", "backward")
MAX_TERMS = 4  # a gradient summed from more contributions than this shows the sum alone
#: A grouped arrow is drawn faint when its tail sends arrows to this many boxes or more
#: and its head receives arrows from this many or more (a dense all-to-all band).
FAINT_FAN = 6
HIDEABLE = ("grad", "local")

#: The most boxes a picture may have unless ``max_nodes`` says otherwise.
DEFAULT_MAX_NODES = 300


@dataclass
class Line:
    """One line of text in a box; ``style`` is one of ``style.TEXT_COLOR``'s keys."""

    text: str
    style: str = "data"


@dataclass
class Box:
    """A node of the picture. ``pending``: something in it is not computed yet (dashed
    border); ``current``: the node of the current step (highlighted)."""

    key: str
    kind: str  # "value", "op" or "group"
    lines: list[Line]
    pending: bool = False
    current: bool = False


@dataclass
class Arrow:
    """An edge of the picture, ``tail -> head``, with an optional label in ``label_style``.
    ``faint``: one of many crowded arrows, drawn thin and light (unless it is current)."""

    tail: str
    head: str
    label: str = ""
    label_style: str = "data"
    current: bool = False
    faint: bool = False


@dataclass
class Scene:
    """The boxes and arrows of a picture, and what its caption may say about them.

    ``sibling_runs``: lists of box keys to stack in this order (the neurons of one layer,
    boxes that read the same inputs): renderers keep it. ``chain_rule_edges``: arrows
    labelled with the chain rule in numbers (or its blanks); ``counted_arrows``: arrows
    standing for several edges (``×k``); ``op_boxes``: op boxes drawn.
    """

    boxes: list[Box]
    arrows: list[Arrow]
    caption: str = ""
    node_count: int = 0  # value nodes in the graph (before grouping)
    sibling_runs: list[list[str]] = field(default_factory=list)
    chain_rule_edges: int = 0
    counted_arrows: int = 0
    op_boxes: int = 0

    @property
    def faint_arrows(self) -> int:
        """How many arrows are drawn faint."""
        return sum(1 for a in self.arrows if a.faint)


@dataclass
class View:
    """Which state of the graph to show.

    ``applied``: how many backward steps have run (-1: none, not even the seed;
    0: the seed alone; ``len(trace)``: all). ``evaluated``: in a forward picture, how
    many op nodes have been computed (None: all). ``current``: the node to highlight,
    or a list of nodes (a grouped stepper's frame covers one module's run of steps).
    ``ran``: when the steps done are not the first ones in the engine's order (a grouped
    stepper runs one module's steps together), the set of them: backward, step numbers
    (with ``applied`` >= 0); forward, op numbers in evaluation order.
    """

    direction: str = "forward"
    trace: BackwardTrace | None = None
    applied: int = -1
    evaluated: int | None = None
    ran: frozenset | None = None
    current: Any = None
    hide: frozenset = frozenset()
    group: str | int | None = None
    max_nodes: int = DEFAULT_MAX_NODES
    caption: str = ""


class GraphTooLargeError(ValueError):
    """The picture would have more boxes than ``max_nodes``; the message says what to do instead."""


def check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    return direction


def check_hide(hide: Any) -> frozenset:
    """``None``, ``"grad"``, ``"local"`` or a collection of them, as a frozenset."""
    if hide is None:
        return frozenset()
    if not isinstance(hide, (str, tuple, list, set, frozenset)):
        raise TypeError(f"hide must be None, 'grad', 'local' or a tuple of them, got {type(hide).__name__} {hide!r}")
    items = {hide} if isinstance(hide, str) else set(hide)
    unknown = items - set(HIDEABLE)
    if unknown:
        raise ValueError(f"hide can name {', '.join(map(repr, HIDEABLE))}, got {sorted(unknown)!r}")
    return frozenset(items)


def box_count(order: Sequence[Any], membership: dict[int, Group], groups: list[Group]) -> int:
    """Boxes a picture of ``order`` needs: a value box per node, an op box per non-leaf,
    one box per group instead of its members."""
    ungrouped = [node for node in order if id(node) not in membership]
    return len(ungrouped) + sum(1 for node in ungrouped if node.parents) + len(groups)


def check_max_nodes(max_nodes: Any) -> int:
    """``max_nodes`` as a whole number of boxes, at least 1 (nan, a float or a bool would
    switch the guard off quietly)."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)):
        raise TypeError(f"max_nodes must be a whole number of boxes, got {type(max_nodes).__name__}: {max_nodes!r}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    return int(max_nodes)


def check_size(order: Sequence[Any], group: str | int | None, max_nodes: int) -> tuple:
    """Raise :class:`GraphTooLargeError` when a picture of ``order`` grouped by ``group``
    needs more than ``max_nodes`` boxes (cheap: no trace, no rendering). Returns the
    grouping it found, ``(membership, groups)``, for :func:`build_scene` to reuse."""
    max_nodes = check_max_nodes(max_nodes)
    membership, groups = assign_groups(order, group)
    count = box_count(order, membership, groups)
    if count > max_nodes:
        raise _too_large(order, count, group, max_nodes)
    return membership, groups


def _too_large(order: Sequence[Any], count: int, group: Any, max_nodes: int) -> GraphTooLargeError:
    options = []
    for name in scope_names(order):
        membership, groups = assign_groups(order, name)
        boxes = box_count(order, membership, groups)
        options.append(f"group={name!r} ({boxes:,} {'box' if boxes == 1 else 'boxes'})")
    if options:
        grouping = "group the nodes by the module that made them: " + ", ".join(options)
    else:
        grouping = (
            "build the graph inside nn modules or `with autodiff.scope(name):` blocks, "
            "then draw it with group=name (one box per block)"
        )
    return GraphTooLargeError(
        f"this picture would have {count:,} boxes ({len(order):,} value nodes"
        + (f", grouped by {group!r}" if group is not None else "")
        + f"), more than max_nodes={max_nodes}. Instead: {grouping}; or draw a smaller part "
        "of the graph (one neuron's output, one sample's loss); or raise max_nodes, if you are "
        "ready to wait for a picture too big to read."
    )


def build_scene(root: Any, view: View, order: Sequence[Any] | None = None, grouping: tuple | None = None) -> Scene:
    """Every box, arrow and word of the picture of ``root`` in state ``view``. ``grouping``:
    what :func:`check_size` returned for this order and ``view.group`` (already checked)."""
    if order is None:
        order = view.trace.order if view.trace is not None else topological_order(root)
    if grouping is None:
        grouping = check_size(order, view.group, view.max_nodes)
    membership, groups = grouping
    return _SceneBuilder(root, order, view, membership, groups).scene()


class _SceneBuilder:
    def __init__(
        self, root: Any, order: Sequence[Any], view: View, membership: dict[int, Group], groups: list[Group]
    ) -> None:
        self.root = root
        self.order = order
        self.view = view
        self.trace = view.trace
        self.membership = membership
        self.groups = groups
        self.index = {id(node): i for i, node in enumerate(order)}
        self.op_rank: dict[int, int] = {}  # evaluation order of the op nodes, 1 for the first
        for node in order:
            if node.parents:
                self.op_rank[id(node)] = len(self.op_rank) + 1
        self.backward = view.direction == "backward"
        current = view.current
        if isinstance(current, (list, tuple, set, frozenset)):
            self.current_ids = {id(node) for node in current}
        else:
            self.current_ids = set() if current is None else {id(current)}
        self.read_outside = self._read_outside() if groups else {}
        self.parameter_names = parameter_names(order)
        self.module_titles = self._single_op_modules()

    # -- what is known in this state ----------------------------------------------

    def evaluated(self, node: Any) -> bool:
        """Forward stepping: is this node's value computed yet (leaves always are)."""
        if not node.parents or self.backward or (self.view.evaluated is None and self.view.ran is None):
            return True
        if self.view.ran is not None:
            return self.op_rank[id(node)] in self.view.ran
        return self.op_rank[id(node)] <= self.view.evaluated

    def ran(self, step: int) -> bool:
        """Backward: has step number ``step`` run in this state."""
        if self.view.ran is not None:
            return self.view.applied >= 0 and step in self.view.ran
        return step <= self.view.applied

    def grad_so_far(self, node: Any) -> Any:
        """Backward: the sum of the contributions ``node`` has received in this state, added
        in the engine's order (None: none yet; the root: the seed)."""
        if self.trace is None or self.view.applied < 0:
            return None
        if node is self.root:
            return self.trace.seed
        if self.view.ran is None:
            return self.trace.grad_after(node, self.view.applied)
        total = None
        for received in self.trace.received(node):
            if received.step in self.view.ran:
                total = received.contribution if total is None else total + received.contribution
        return total

    def step_applied(self, node: Any) -> bool:
        """Backward: has ``node`` passed its gradient on to its parents yet."""
        if self.trace is None:
            return False
        step = self.trace.step_of(node)
        return step is not None and self.ran(step.index)

    def is_current(self, node: Any) -> bool:
        return id(node) in self.current_ids

    def grad_complete(self, node: Any) -> bool:
        """Backward: has ``node`` received every contribution to its gradient (the root: the seed)."""
        if self.trace is None or self.view.applied < 0:
            return False
        if node is self.root:
            return True
        received = self.trace.received(node)
        return bool(received) and all(self.ran(r.step) for r in received)

    # -- the scene ---------------------------------------------------------------

    def scene(self) -> Scene:
        boxes: list[Box] = []
        arrows: list[Arrow] = []
        placed: set[str] = set()
        grouped_arrows: dict[tuple[str, str], list[Arrow]] = {}
        for node in self.order:
            i = self.index[id(node)]
            group = self.membership.get(id(node))
            if group is None:
                if node.parents:
                    boxes.append(self.op_box(node, i))
                    arrows.append(Arrow(f"op{i}", f"v{i}", current=self.is_current(node)))
                boxes.append(self.value_box(node, i))
            elif group.key not in placed and (node.parents or not any(m.parents for m in group.members)):
                placed.add(group.key)  # where its first computed node is, not its first weight
                boxes.append(self.group_box(group))
            head = group.key if group is not None else f"op{i}"
            for position, parent in enumerate(node.parents):
                parent_group = self.membership.get(id(parent))
                tail = parent_group.key if parent_group is not None else f"v{self.index[id(parent)]}"
                if tail == head:
                    continue  # inside one group
                if group is None and parent_group is None:
                    arrows.append(self.edge_arrow(node, position, parent, tail, head))
                else:
                    grouped_arrows.setdefault((tail, head), []).append(
                        Arrow(tail, head, current=self.is_current(node))
                    )
        for (tail, head), bundle in grouped_arrows.items():
            label = f"×{len(bundle)}" if len(bundle) > 1 else ""
            arrows.append(Arrow(tail, head, label, "data", any(a.current for a in bundle)))
        _fade_crowded(arrows, set(grouped_arrows))
        return Scene(
            boxes,
            arrows,
            self.view.caption,
            len(self.order),
            sibling_runs=self.sibling_runs(boxes, arrows),
            chain_rule_edges=sum(1 for a in arrows if " × " in a.label and " = " in a.label),
            counted_arrows=sum(1 for bundle in grouped_arrows.values() if len(bundle) > 1),
            op_boxes=sum(1 for b in boxes if b.kind == "op"),
        )

    def sibling_runs(self, boxes: list[Box], arrows: list[Arrow]) -> list[list[str]]:
        """Group boxes made by modules of one parent that read the same boxes (a layer's
        neurons), in the order of the boxes: the order to stack them in."""
        if not self.groups:
            return []
        tails: dict[str, set[str]] = {}
        for arrow in arrows:
            tails.setdefault(arrow.head, set()).add(arrow.tail)
        parent_of = {}
        for g in self.groups:
            path = g.scope.path
            parent = path[-2] if len(path) > 1 else None
            parent_of[g.key] = id(parent.owner) if parent is not None and parent.owner is not None else id(parent)
        runs: dict[tuple, list[str]] = {}
        for box in boxes:
            if box.kind == "group":
                runs.setdefault((parent_of[box.key], frozenset(tails.get(box.key, ()))), []).append(box.key)
        return [run for run in runs.values() if len(run) > 1]

    def _single_op_modules(self) -> dict[int, str]:
        """``{id(node): "Linear 0"}`` for each op node that is the only op its module's call
        made (a Linear's ``linear``, a Sigmoid's ``sigmoid``): the module by class and name."""
        ops_in_scope: dict[int, list] = {}
        for node in self.order:
            scope = getattr(node, "scope", None)
            if node.parents and scope is not None and scope.owner is not None:
                ops_in_scope.setdefault(id(scope), []).append(node)
        if not ops_in_scope:
            return {}
        names = module_names(self.order)
        titles: dict[int, str] = {}
        for nodes in ops_in_scope.values():
            if len(nodes) != 1:
                continue
            scope = nodes[0].scope
            name = names.get(id(scope.owner))
            titles[id(nodes[0])] = f"{scope.name} {name}" if name else scope.name
        return titles

    # -- boxes -----------------------------------------------------------------

    def op_box(self, node: Any, i: int) -> Box:
        lines = [Line(node.op, "title")]
        module = self.module_titles.get(id(node))
        if module:
            lines.append(Line(module, "note"))
        if not self.backward:
            lines.append(Line(f"#{self.op_rank[id(node)]}", "note"))
        pending = not self.evaluated(node) if not self.backward else not self.step_applied(node)
        return Box(f"op{i}", "op", lines, pending=pending, current=self.is_current(node))

    def value_box(self, node: Any, i: int) -> Box:
        lines: list[Line] = []
        path = self.parameter_names.get(id(node))
        if path and (not node.label or node.label == path.rsplit(".", 1)[-1]):
            lines.append(Line(path, "title"))  # unlabelled, or nn's own label ("weight")
        elif node.label:
            lines.append(Line(node.label, "title"))
            if path and path != node.label:
                lines.append(Line(path, "note"))  # a user's label stays; the path below it
        header = fmt.tensor_header(node)
        if header:
            lines.append(Line(header, "note"))
        number_lines, pending = self.number_lines(node, "data")
        return Box(f"v{i}", "value", lines + number_lines, pending=pending, current=self.is_current(node))

    def number_lines(self, node: Any, name: str) -> tuple[list[Line], bool]:
        """``name`` and the node's value (or "not computed yet"), then in a backward picture
        its gradient; True with them when something is still pending."""
        if self.evaluated(node):
            lines, pending = _labelled(name, fmt.value_lines(node.data), "data"), False
        else:
            lines, pending = [Line(f"{name}: {fmt.NOT_COMPUTED}", "pending")], True
        if self.backward:
            grad_lines, grad_pending = self.grad_lines(node)
            lines += grad_lines
            pending = pending or grad_pending
        return lines, pending

    def grad_lines(self, node: Any) -> tuple[list[Line], bool]:
        """The gradient lines of a value box, and whether the gradient is still to come."""
        if getattr(node, "requires_grad", True) is False:
            return [Line("no grad (requires_grad=False)", "note")], False
        if "grad" in self.view.hide and node is not self.root:
            return [Line(f"grad {fmt.BLANK}", "blank")], False
        trace = self.trace
        grad = self.grad_so_far(node)
        if grad is None:
            return [Line(f"grad: {fmt.NOT_COMPUTED}", "pending")], True
        if node is self.root:
            return _labelled("grad", fmt.value_lines(grad), "grad", suffix=" (seed)"), False
        received = trace.received(node)
        so_far = [r for r in received if self.ran(r.step)]
        complete = len(so_far) == len(received)
        lines: list[Line]
        if len(received) == 1:
            lines = _labelled("grad", fmt.value_lines(grad), "grad")
        elif fmt.is_array(grad):
            head = f"grad: sum of {len(received)} contributions" if complete else (
                f"grad so far: {len(so_far)} of {len(received)} contributions"
            )
            lines = [Line(head, "grad")] + [Line(text, "grad") for text in fmt.value_lines(grad)]
        elif len(received) > MAX_TERMS:
            if complete:
                text = f"grad {fmt.number(grad)} (sum of {len(received)})"
            else:
                text = f"grad so far {fmt.number(grad)} ({len(so_far)} of {len(received)} summed)"
            lines = [Line(text, "grad")]
        else:
            terms = " + ".join(fmt.number(r.contribution) for r in so_far)
            if complete:
                lines = [Line(f"grad {terms} = {fmt.number(grad)}", "grad")]
            else:
                lines = [Line(f"grad so far {terms} ({len(so_far)} of {len(received)})", "grad")]
        ran = self.view.ran
        every_step = len(ran) >= len(trace) if ran is not None else self.view.applied >= len(trace)
        if complete and every_step and not node.parents:
            lines += self.accumulated_note(node, grad)
        return lines, not complete

    def accumulated_note(self, node: Any, grad: Any) -> list[Line]:
        """A leaf whose ``.grad`` holds more than this pass (several backward() calls)."""
        stored = node.grad
        if not self.trace.backpropagated or stored is None or fmt.same(stored, grad):
            return []
        return [Line(f".grad holds {fmt.number(stored)} (accumulated)", "note")]

    def group_box(self, group: Group) -> Box:
        lines = [Line(group.title, "title"), Line(f"{len(group.members)} nodes", "note")]
        outputs = [node for node in group.members if self._used_outside(node, group)]
        pending = False
        current = any(self.is_current(node) for node in group.members)
        if len(outputs) == 1:
            number_lines, pending = self.number_lines(outputs[0], "out")
            lines += number_lines
        elif outputs:
            lines.append(Line(f"{len(outputs)} outputs", "note"))
        return Box(group.key, "group", lines, pending=pending, current=current)

    def _used_outside(self, node: Any, group: Group) -> bool:
        return node is self.root or id(node) in self.read_outside.get(id(group), ())

    def _read_outside(self) -> dict[int, set[int]]:
        """For each group, the ids of its members that nodes outside the group read."""
        result: dict[int, set[int]] = {}
        for node in self.order:
            group = self.membership.get(id(node))
            for parent in node.parents:
                parent_group = self.membership.get(id(parent))
                if parent_group is not None and parent_group is not group:
                    result.setdefault(id(parent_group), set()).add(id(parent))
        return result

    # -- arrows ----------------------------------------------------------------

    def edge_arrow(self, node: Any, position: int, parent: Any, tail: str, head: str) -> Arrow:
        current = self.is_current(node)
        if not self.backward:
            data = fmt.plain(parent.data)
            label = fmt.shape_text(data.shape) if fmt.is_array(data) else ""
            return Arrow(tail, head, label, "data" if self.evaluated(node) else "pending", current)
        applied = self.step_applied(node)
        step = self.trace.step_of(node) if self.trace is not None else None
        edge = step.edges[position] if step is not None else None
        if edge is not None and edge.contribution is None:
            return Arrow(tail, head, "no grad", "pending", current)
        if fmt.is_array(node.data) or fmt.is_array(parent.data):
            label = _tensor_edge_label(node, parent)
            return Arrow(tail, head, label, "grad" if applied else "pending", current)
        if edge is None:
            return Arrow(tail, head, "", "pending", current)
        hide = self.view.hide
        local = fmt.BLANK if "local" in hide else fmt.number(edge.local)
        if "grad" in hide and node is not self.root:
            upstream, downstream = fmt.BLANK, fmt.BLANK
        elif "grad" in hide:
            upstream, downstream = fmt.number(step.upstream), fmt.BLANK
        elif applied:
            upstream, downstream = fmt.number(step.upstream), fmt.number(edge.contribution)
        elif self.grad_complete(node):  # the upstream gradient is known, the step not run yet
            upstream, downstream = fmt.number(step.upstream), "?"
        else:
            upstream, downstream = "?", "?"
        style = "blank" if hide else ("grad" if applied else "pending")
        return Arrow(tail, head, f"{upstream} × {local} = {downstream}", style, current)


def _fade_crowded(arrows: list[Arrow], grouped: set[tuple[str, str]]) -> None:
    """Mark faint the grouped arrows of a dense band: tail sending to ``FAINT_FAN`` boxes or
    more, head receiving from as many (16 neurons each reading 16 others: 256 arrows)."""
    out_degree: dict[str, int] = {}
    in_degree: dict[str, int] = {}
    for arrow in arrows:
        out_degree[arrow.tail] = out_degree.get(arrow.tail, 0) + 1
        in_degree[arrow.head] = in_degree.get(arrow.head, 0) + 1
    for arrow in arrows:
        if (arrow.tail, arrow.head) in grouped and not arrow.label:
            arrow.faint = out_degree[arrow.tail] >= FAINT_FAN and in_degree[arrow.head] >= FAINT_FAN


def _tensor_edge_label(node: Any, parent: Any) -> str:
    """The gradient's shape on a tensor edge: ``grad (4, 3) -> (3,)`` when the contribution
    is un-broadcast to the parent's shape, ``grad (4, 3)`` when the shapes agree."""
    upstream = fmt.shape_text(getattr(node.data, "shape", ()))
    downstream = fmt.shape_text(getattr(parent.data, "shape", ()))
    return f"grad {upstream}" if upstream == downstream else f"grad {upstream} → {downstream}"


def _labelled(name: str, texts: list[str], style: str, suffix: str = "") -> list[Line]:
    """``data -2`` for one line; ``data`` then the array's lines for several."""
    if len(texts) == 1:
        return [Line(f"{name} {texts[0]}{suffix}", style)]
    return [Line(f"{name}{suffix}", style)] + [Line(text, style) for text in texts]

"""Exercise mode: ``viz.draw(root, hide="grad")`` draws the blanks, ``check_gradients`` marks them.

A student fills in d(root)/d(node) for the labelled nodes and gets told which answers
are right, without the right numbers being printed (they are in ``expected`` for a
teacher who wants them). The correct values come from one backward pass run on the
side (``viz.trace``), so checking never changes any ``.grad``: the student's graph may
not have been through ``backward()`` at all.

:class:`Exercise` goes further: practice graphs (seeded, see ``viz.practice``, or the
teacher's own expression), and marks with feedback on the edge where an answer goes
wrong. On the edge from a node n into an op c, the chain rule reads

    contribution = upstream × local = d(out)/dc × dc/dn,   and   d(out)/dn = Σ over n's edges,

so a wrong d(out)/dn is checked against the usual slips, in this order: ``carried`` (the
student's own wrong d(out)/dc times the right local derivatives: the step itself is
right), ``fan_out`` (one edge's contribution: the sum forgotten), ``local_only`` (dc/dn
alone), ``sign`` (minus the right number); else ``wrong``. A forward exercise asks for
the values, checked against ``carried`` (the op applied to the student's wrong inputs)
and ``sign``. The report has a ``score`` and ``to_dict()`` for an autograder.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from autodiff import checks

from . import formatting as fmt
from . import practice
from .expression import build
from .picture import CAPTION_EXERCISE, GraphPicture
from .scene import Arrow, Box, Line, Scene, View, build_scene, check_hide
from .trace import BackwardTrace


@dataclass
class Answer:
    """One answer: the node's ``label``, the ``given`` number, the ``expected`` one, ``correct``."""

    label: str
    given: Any
    expected: Any
    correct: bool


@dataclass
class GradientReport:
    """The marks for a set of answers.

    ``answers``: one :class:`Answer` per labelled node answered; ``unknown``: labels
    answered that no node has; ``unanswered``: labelled nodes with no answer.
    ``str(report)`` (and the HTML form Jupyter shows) never prints the expected values.
    """

    answers: list[Answer]
    unknown: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)

    @property
    def correct(self) -> list[str]:
        """Labels answered right."""
        return [a.label for a in self.answers if a.correct]

    @property
    def wrong(self) -> list[str]:
        """Labels answered wrong."""
        return [a.label for a in self.answers if not a.correct]

    @property
    def all_correct(self) -> bool:
        """Every answer right, no unknown label, no labelled node left out."""
        return not self.wrong and not self.unknown and not self.unanswered

    def __str__(self) -> str:
        lines = [f"{len(self.correct)} of {len(self.answers)} answers right"]
        for a in self.answers:
            mark = "✓ right" if a.correct else "✗ wrong"
            lines.append(f"  d/d{a.label} = {_given(a.given)}  {mark}")
        lines += [f"  {note}" for note in self._notes()]
        return "\n".join(lines)

    def _notes(self) -> list[str]:
        notes = []
        if self.unknown:
            notes.append("no node is labelled " + ", ".join(map(repr, self.unknown)))
        if self.unanswered:
            notes.append("not answered: " + ", ".join(self.unanswered))
        return notes

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>d/d{html.escape(a.label)}</td><td>{html.escape(_given(a.given))}</td>"
            + ("<td style='color:#2b8a3e'>✓ right</td></tr>" if a.correct else
               "<td style='color:#c92a2a'>✗ wrong</td></tr>")
            for a in self.answers
        )
        notes = "".join(f"<p>{html.escape(note)}</p>" for note in self._notes())
        head = f"<p><b>{len(self.correct)} of {len(self.answers)} answers right</b></p>"
        return f"{head}<table>{rows}</table>{notes}"


def _given(x: Any) -> str:
    """An answer as written in the report: a number, an array's lines, or whatever it was."""
    if fmt.is_array(x):
        return " ".join(fmt.value_lines(x))
    try:
        return fmt.number(x)
    except (TypeError, ValueError):
        return repr(x)


def check_gradients(
    root: Any, answers: Mapping[str, Any], rel_tol: float = 1e-6, abs_tol: float = 1e-9, grad: Any = None
) -> GradientReport:
    """Mark ``answers`` (node label -> d(root)/d(node), a number or an array for a tensor).

    An answer is right when it is within ``rel_tol`` (relative) or ``abs_tol`` (absolute)
    of the true gradient. A label shared by several nodes is ambiguous: answering it
    raises ValueError (give the nodes distinct labels). ``grad`` seeds the pass as in
    ``root.backward(grad)``.
    """
    checks.node(root, "check_gradients", "root")
    if not isinstance(answers, Mapping):
        raise TypeError(f"check_gradients: answers must be a dict of label -> gradient, got {type(answers).__name__}")
    rel_tol = checks.real(rel_tol, "check_gradients", "rel_tol", low=0.0)
    abs_tol = checks.real(abs_tol, "check_gradients", "abs_tol", low=0.0)
    trace = BackwardTrace(root, grad)
    by_label: dict[str, list] = {}
    for node in trace.order:
        if node.label and getattr(node, "requires_grad", True) is not False:
            by_label.setdefault(node.label, []).append(node)
    marked, unknown = [], []
    for label, given in answers.items():
        nodes = by_label.get(label)
        if not nodes:
            unknown.append(label)
            continue
        if len(nodes) > 1:
            raise ValueError(
                f"{len(nodes)} nodes are labelled {label!r}: give them distinct labels to check them"
            )
        expected = fmt.plain(trace.grad(nodes[0]))
        given = fmt.plain(given)
        marked.append(Answer(label, given, expected, _close(given, expected, rel_tol, abs_tol)))
    unanswered = [label for label in by_label if label not in answers and by_label[label][0] is not root]
    return GradientReport(marked, unknown, unanswered)


def _close(given: Any, expected: Any, rel_tol: float, abs_tol: float) -> bool:
    if expected is None:
        return False
    if isinstance(expected, np.ndarray) or isinstance(given, np.ndarray):
        given_array = np.asarray(given, dtype=float)
        return given_array.shape == np.shape(expected) and bool(
            np.allclose(given_array, expected, rtol=rel_tol, atol=abs_tol)
        )
    try:
        return math.isclose(float(given), float(expected), rel_tol=rel_tol, abs_tol=abs_tol)
    except (TypeError, ValueError):
        return False  # not a number: not right


# -- practice exercises: a graph, its blanks, and feedback per edge ----------------------------

#: What can be asked: each node's gradient d(output)/d(node) (backward), or its value (forward).
KINDS = ("grad", "value")
#: The most nodes an exercise's graph may have (inputs and results): a picture one can work by hand.
MAX_NODES = 40
#: An answer is right within this much (relative or absolute): about three significant digits,
#: or two decimals, as a number worked out by hand is written.
RIGHT_REL_TOL = 5e-3
RIGHT_ABS_TOL = 5e-3

#: The slips a wrong gradient is checked against, in the order they are tried.
GRAD_MISTAKES = {
    "carried": "follows from a wrong answer further up: with that upstream gradient the step is right",
    "fan_out": "forgot the fan-out sum: the number is the contribution of one edge only",
    "local_only": "used the local derivative alone: it still needs the upstream gradient",
    "sign": "a sign error: the number is minus the right one",
    "wrong": "wrong, and not one of the usual slips",
}
#: The slips a wrong value (forward exercise) is checked against.
VALUE_MISTAKES = {
    "carried": "follows from a wrong value further up: with those inputs the op is right",
    "sign": "a sign error: the number is minus the right one",
    "wrong": "wrong, and not one of the usual slips",
}
_SHORT = {"carried": "from a wrong upstream answer", "fan_out": "forgot the fan-out sum",
          "local_only": "local derivative alone", "sign": "sign error", "wrong": "wrong"}

CAPTION_VALUE_EXERCISE = "exercise: fill in the value of every blank (the forward pass, in the numbered order)"
CAPTION_SOLUTION = "solution: every edge reads upstream × local = downstream"
CAPTION_VALUE_SOLUTION = "solution: the value of every node"
CAPTION_MARKED = "your answers: ✓ right, ✗ wrong (highlighted, with the edges where it goes wrong)"


class ExerciseError(ValueError):
    """An exercise that cannot be made, or answers that cannot be marked; the message names why."""


@dataclass
class EdgeStep:
    """The chain rule on one edge out of a node: ``node`` is argument ``position`` of
    ``child`` (made by ``op``), so ``contribution = upstream × local`` with ``upstream``
    = d(output)/d(child) and ``local`` = d(child)/d(node)."""

    node: str
    child: str
    op: str
    position: int
    upstream: float
    local: float
    contribution: float

    def to_dict(self) -> dict:
        return {"node": self.node, "child": self.child, "op": self.op, "position": self.position,
                "upstream": _json_number(self.upstream), "local": _json_number(self.local),
                "contribution": _json_number(self.contribution)}


@dataclass
class Mark:
    """The mark of one answer: the ``given`` number against the ``expected`` one.

    For a wrong answer, ``mistake`` is the first slip in ``GRAD_MISTAKES`` (or
    ``VALUE_MISTAKES``) the number is consistent with ("wrong" for none), and
    ``consistent_with`` all of them; ``where`` is the edges where it goes wrong (see
    ``message``). ``edges``: for a gradient, every edge out of the node (its gradient is
    the sum of their contributions); ``inputs``: for a value, the op's inputs and their values.
    """

    label: str
    kind: str
    given: float
    expected: float
    correct: bool
    mistake: str | None = None
    consistent_with: tuple[str, ...] = ()
    edges: tuple[EdgeStep, ...] = ()
    where: tuple[EdgeStep, ...] = ()
    op: str = ""
    inputs: tuple[tuple[str, float], ...] = ()
    message: str = ""
    node: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "label": self.label, "kind": self.kind, "given": _json_number(self.given),
            "expected": _json_number(self.expected), "correct": self.correct, "mistake": self.mistake,
            "consistent_with": list(self.consistent_with), "edges": [e.to_dict() for e in self.edges],
            "where": [e.to_dict() for e in self.where], "op": self.op,
            "inputs": [{"label": label, "value": _json_number(value)} for label, value in self.inputs],
            "message": self.message,
        }


def _json_number(x: Any) -> float | None:
    """A float for JSON: None for a missing or non-finite number (JSON has no nan)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


class ExerciseReport:
    """The marks of one student's answers to an :class:`Exercise`.

    ``marks``: one :class:`Mark` per answer, in the graph's order; ``unanswered``: the
    blanks with no answer. ``score`` = (blanks answered right) / (blanks), between 0 and 1
    (an unanswered blank scores 0; an answer for a node that is not a blank, such as the
    output's seed gradient, is marked but not scored). ``passed`` (also the report's truth
    value): every blank right. ``message()``: the first wrong answer's feedback;
    ``to_dict()``: everything, JSON-safe, for an autograder; ``picture()``: the graph with
    the answers written in and the wrong boxes marked.
    """

    def __init__(self, exercise: "Exercise", kind: str, marks: list[Mark], unanswered: list[str]) -> None:
        self.exercise = exercise
        self.kind = kind
        self.marks = marks
        self.unanswered = unanswered

    @property
    def right(self) -> list[str]:
        """Labels answered right."""
        return [m.label for m in self.marks if m.correct]

    @property
    def wrong(self) -> list[str]:
        """Labels answered wrong."""
        return [m.label for m in self.marks if not m.correct]

    @property
    def blanks(self) -> list[str]:
        """The exercise's blanks for this kind of answer."""
        return self.exercise.blanks(self.kind)

    @property
    def mistakes(self) -> dict[str, str]:
        """label -> the mistake diagnosed, for each wrong answer."""
        return {m.label: m.mistake for m in self.marks if not m.correct}

    def mark(self, label: str) -> Mark:
        """The mark of the answer for ``label``."""
        for m in self.marks:
            if m.label == label:
                return m
        raise KeyError(f"no answer for {label!r} was marked; answered: {', '.join(m.label for m in self.marks)}")

    @property
    def score(self) -> float:
        blanks = set(self.blanks)
        if not blanks:
            return 1.0
        return sum(1 for m in self.marks if m.correct and m.label in blanks) / len(blanks)

    @property
    def passed(self) -> bool:
        return not self.wrong and not self.unanswered

    def __bool__(self) -> bool:
        return self.passed

    def message(self) -> str:
        """The first wrong answer's feedback, or what is left unanswered ("" when all is right)."""
        for m in self.marks:
            if not m.correct:
                return m.message
        if self.unanswered:
            return "not answered: " + ", ".join(self.unanswered)
        return ""

    def _headline(self) -> str:
        what = "gradients" if self.kind == "grad" else "values"
        right = sum(1 for m in self.marks if m.correct and m.label in set(self.blanks))
        return f"{right} of {len(self.blanks)} {what} right (score {self.score:.2f})"

    def __str__(self) -> str:
        lines = [self._headline()]
        for m in self.marks:
            name = _quantity(self.exercise, m.label, self.kind)
            lines.append(f"  {name} = {fmt.number(m.given)}  " + ("✓ right" if m.correct else "✗ " + _SHORT[m.mistake]))
            if not m.correct:
                lines.append(f"      {m.message}")
        if self.unanswered:
            lines.append("  not answered: " + ", ".join(self.unanswered))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"ExerciseReport(kind={self.kind!r}, answered={len(self.marks)}, wrong={len(self.wrong)}, "
                f"unanswered={len(self.unanswered)}, score={self.score:.3g})")

    def _repr_html_(self) -> str:
        rows = []
        for m in self.marks:
            name = html.escape(_quantity(self.exercise, m.label, self.kind))
            given = html.escape(fmt.number(m.given))
            if m.correct:
                verdict = "<td style='color:#2b8a3e'>✓ right</td><td></td>"
            else:
                verdict = (f"<td style='color:#c92a2a'>✗ {html.escape(_SHORT[m.mistake])}</td>"
                           f"<td>{html.escape(m.message)}</td>")
            rows.append(f"<tr><td>{name}</td><td>{given}</td>{verdict}</tr>")
        notes = f"<p>not answered: {html.escape(', '.join(self.unanswered))}</p>" if self.unanswered else ""
        return f"<p><b>{html.escape(self._headline())}</b></p><table>{''.join(rows)}</table>{notes}"

    def to_dict(self) -> dict:
        ex = self.exercise
        return {
            "kind": self.kind,
            "score": self.score,
            "passed": self.passed,
            "blanks": list(self.blanks),
            "right": self.right,
            "wrong": self.wrong,
            "unanswered": list(self.unanswered),
            "marks": [m.to_dict() for m in self.marks],
            "message": self.message(),
            "exercise": {"source": ex.source, "seed": ex.seed,
                         "values": {k: _json_number(v) for k, v in (ex.values or {}).items()}},
        }

    def picture(self, engine: str = "auto") -> Any:
        """The graph with the answers written in: ✓ or ✗ in each answered box, the wrong boxes
        highlighted, and on the edges where a wrong answer goes wrong, its upstream gradient
        and local derivative (a gradient exercise), or the op's inputs highlighted (a value one)."""
        return _marked_picture(self, engine)


def _quantity(exercise: "Exercise", label: str, kind: str) -> str:
    """How an answer is named: ``df/dx`` for a gradient, ``x`` for a value."""
    return _d(exercise.output_name, label) if kind == "grad" else label


def _wrap(label: str) -> str:
    return label if label.isidentifier() else f"({label})"


def _d(top: str, bottom: str) -> str:
    """``df/dx``: the derivative of ``top`` with respect to ``bottom``."""
    return f"d{_wrap(top)}/d{_wrap(bottom)}"


class Exercise:
    """A graph to do backprop (or the forward pass) on by hand, and the marking of the answers.

    - ``Exercise.random(seed=17)``: a seeded practice graph (the same seed gives the same
      exercise on every machine); ``Exercise.from_expression("(x + y) * z", x=-2, y=5, z=-4)``
      a teacher's own, in the command line's expression language (``q = x + y; f = q * z``
      names the steps); ``Exercise(root)`` any graph of scalar Values.
    - ``root``: the output; every input and every result carries a label (a result with
      none is labelled ``n<i>``, and a label used twice gets `` (2)``, `` (3)``, ...).
    - ``blanks(kind)``: what is asked. ``kind="grad"`` (the default everywhere): d(output)/d(node)
      for every labelled node but the output (whose gradient is the seed, 1);
      ``kind="value"``: the value of every result, the inputs given.
    - ``picture(hide="grad")``: the backward picture with blanks for the gradients (also
      ``hide=("grad", "local")``, the local derivatives blank too); ``hide="value"``: the
      forward picture with blanks for the values. ``solution(kind)``: the same, filled in.
    - ``check(answers, kind="grad")``: answers keyed by label or by node, all of them or
      some, marked with feedback per edge: an :class:`ExerciseReport`. ``asking(*labels)``:
      the same exercise with fewer blanks.

    Nothing here changes any node's ``.grad``: the right gradients come from one backward
    pass run on the side (``viz.trace``).
    """

    def __init__(self, root: Any, *, source: str | None = None, values: Mapping[str, float] | None = None,
                 seed: int | None = None) -> None:
        from autodiff import Value  # the scalar engine: an exercise is worked by hand, number by number

        if not isinstance(root, Value):
            raise TypeError(
                f"an Exercise is a graph of scalar autodiff.Value nodes, got {type(root).__name__}"
            )
        self.root = root
        self.source = source
        self.values = dict(values) if values is not None else None
        self.seed = seed
        self.trace = BackwardTrace(root)
        self.order = self.trace.order
        if len(self.order) > MAX_NODES:
            raise ExerciseError(
                f"the graph has {len(self.order)} nodes, too many for an exercise (at most {MAX_NODES}); "
                "take a smaller part of it (one neuron, one sample's loss)"
            )
        self._index = {id(node): i for i, node in enumerate(self.order)}
        _label_every_result(self.order)
        self._by_label = {node.label: node for node in self.order if node.label}
        self._asked: frozenset | None = None

    def asking(self, *labels: str) -> "Exercise":
        """The same exercise asking only for ``labels`` (the others are not blanks, and not
        scored; answers for them are still marked)."""
        for label in labels:
            self.node(label)  # an unknown label is named
        ex = Exercise(self.root, source=self.source, values=self.values, seed=self.seed)
        ex._asked = frozenset(labels)
        return ex

    # -- making one --------------------------------------------------------------

    @classmethod
    def random(cls, seed: int = 0, n_ops: int = 6, ops: Sequence[str] = practice.DEFAULT_OPS,
               fan_out: bool = True, integers: bool = True) -> "Exercise":
        """A random practice graph of ``n_ops`` operations drawn from ``ops`` (any of
        ``viz.practice.SUPPORTED_OPS``: + - * / **2 neg tanh sigmoid exp log relu).

        ``seed`` (a whole number >= 0) picks it, the same in every run and process;
        ``fan_out``: some node feeds two edges (its gradient is a sum); ``integers``: the
        inputs are small integers (else one decimal). Values stay in each op's domain and
        small (see ``viz.practice``). ``ex.source`` is its program, ``ex.values`` its inputs.
        """
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise TypeError(f"seed must be a whole number >= 0, got {type(seed).__name__} {seed!r}")
        checks.flag(fan_out, "Exercise.random", "fan_out")
        checks.flag(integers, "Exercise.random", "integers")
        n_ops = practice.check_n_ops(n_ops)
        ops = practice.check_ops(ops)
        source, values, root = practice.random_program(int(seed), n_ops, ops, bool(fan_out), bool(integers))
        return cls(root, source=source, values=values, seed=int(seed))

    @classmethod
    def from_expression(cls, source: str, /, **values: float) -> "Exercise":
        """The graph of ``source`` (the command line's expression language: numbers, names,
        ``+ - * / **``, functions such as ``tanh(x)``, statements ``a = x * x; b = a + a``)
        with its names set to ``values``; a too-large graph is refused, naming its size."""
        if not isinstance(source, str):
            raise TypeError(f"Exercise.from_expression: source, the expression, must be a str, got {type(source).__name__}")
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
                raise TypeError(f"the value of {name} must be a number, got {type(value).__name__} {value!r}")
        return cls(build(source, {k: float(v) for k, v in values.items()}), source=source,
                   values={k: float(v) for k, v in values.items()})

    def __repr__(self) -> str:
        if self.source is not None:
            values = ", ".join(f"{k}={fmt.number(v)}" for k, v in (self.values or {}).items())
            seed = f"seed={self.seed}: " if self.seed is not None else ""
            return f"<Exercise {seed}{self.source}  with {values}>"
        return f"<Exercise on {self.output_name} ({len(self.order)} nodes)>"

    # -- what is asked -----------------------------------------------------------

    @property
    def output_name(self) -> str:
        return self.root.label

    @property
    def inputs(self) -> list[str]:
        """The labels of the inputs (the labelled leaves)."""
        return [node.label for node in self.order if not node.parents and node.label]

    @property
    def labels(self) -> list[str]:
        """Every label in the graph, in topological order (inputs first, output last)."""
        return [node.label for node in self.order if node.label]

    def node(self, label: str) -> Any:
        """The node labelled ``label``."""
        if not isinstance(label, str):
            raise TypeError(f"Exercise.node: label must be a str, got {type(label).__name__} {label!r}")
        try:
            return self._by_label[label]
        except KeyError:
            raise ExerciseError(self._unknown(label)) from None

    def _unknown(self, label: str) -> str:
        return f"no node of this exercise has the label {label!r}; its labels are {', '.join(self.labels)}"

    def blanks(self, kind: str = "grad") -> list[str]:
        """What is asked: the labels of the nodes whose gradient (or value) is a blank."""
        kind = _check_kind(kind)
        if kind == "grad":
            labels = [node.label for node in self.order if node.label and node is not self.root]
        else:
            labels = [node.label for node in self.order if node.parents]
        return labels if self._asked is None else [label for label in labels if label in self._asked]

    def expected(self, kind: str = "grad") -> dict[str, float]:
        """The teacher's key: label -> the right gradient (or value), for every blank."""
        kind = _check_kind(kind)
        return {label: self._right(self._by_label[label], kind) for label in self.blanks(kind)}

    def edges(self, label: str) -> tuple[EdgeStep, ...]:
        """The edges out of the node ``label``, each with its upstream gradient, local
        derivative and contribution (the node's gradient is the sum of the contributions)."""
        node = self.node(label)
        return tuple(self._edge_step(node, r) for r in self.trace.received(node))

    def _right(self, node: Any, kind: str) -> float:
        return float(self.trace.grad(node)) if kind == "grad" else float(node.data)

    # -- pictures ----------------------------------------------------------------

    def picture(self, hide: Any = "grad", engine: str = "auto") -> Any:
        """The exercise as a picture: ``hide="grad"`` blanks the gradients (the backward
        picture, each edge ``____ × local = ____``), ``("grad", "local")`` the local
        derivatives too; ``hide="value"`` the values of the results (the forward picture)."""
        if not (hide is None or isinstance(hide, (str, tuple, list, set, frozenset))):
            raise TypeError(f"Exercise.picture: hide must be 'grad', 'local', 'value' or a tuple of them, got {hide!r}")
        items = {hide} if isinstance(hide, str) else set(hide or ())
        if "value" in items:
            if items != {"value"}:
                raise ValueError(f"hide='value' (a forward exercise) goes alone, got {sorted(items)!r}")
            return GraphPicture(self._value_scene(CAPTION_VALUE_EXERCISE), engine)
        hidden = check_hide(tuple(items))
        if not hidden:
            raise ValueError("hide must name what is blank: 'grad', ('grad', 'local') or 'value'")
        return GraphPicture(self._grad_scene(hidden, CAPTION_EXERCISE), engine)

    def solution(self, kind: str = "grad", engine: str = "auto") -> Any:
        """The answers as a picture: the backward picture with every gradient and every
        edge's ``upstream × local = downstream`` (``kind="value"``: the forward picture)."""
        if _check_kind(kind) == "value":
            view = View(direction="forward", caption=CAPTION_VALUE_SOLUTION)
            return GraphPicture(build_scene(self.root, view, self.order), engine)
        return GraphPicture(self._grad_scene(frozenset(), CAPTION_SOLUTION), engine)

    def _grad_scene(self, hidden: frozenset, caption: str) -> Scene:
        view = View(direction="backward", trace=self.trace, applied=len(self.trace), hide=hidden, caption=caption)
        return build_scene(self.root, view, self.order)

    def _value_scene(self, caption: str) -> Scene:
        scene = build_scene(self.root, View(direction="forward", caption=caption), self.order)
        for node in self.order:
            if node.parents:
                box = _box(scene, f"v{self._index[id(node)]}")
                box.lines = [line for line in box.lines if line.style != "data"] + [Line(f"data {fmt.BLANK}", "blank")]
        return scene

    # -- marking -----------------------------------------------------------------

    def check(self, answers: Mapping[Any, Any], kind: str = "grad", rel_tol: float = RIGHT_REL_TOL,
              abs_tol: float = RIGHT_ABS_TOL) -> ExerciseReport:
        """Mark ``answers`` (label or node -> number): d(output)/d(node) for ``kind="grad"``,
        the node's value for ``kind="value"``; all the blanks or some of them.

        An answer is right within ``rel_tol`` (relative) or ``abs_tol`` (absolute). A wrong
        one is diagnosed on the edges out of its node (see :class:`Mark`). An answer for a
        node the graph does not have, or one that is not a number, raises an error naming it.
        """
        kind = _check_kind(kind)
        tol = (checks.real(rel_tol, "Exercise.check", "rel_tol", low=0.0),
               checks.real(abs_tol, "Exercise.check", "abs_tol", low=0.0))
        try:
            given = self._resolve(answers)
        except (TypeError, ValueError) as error:  # ExerciseError is a ValueError
            raise type(error)(f"Exercise.check: answers: {error}") from None
        marks = [
            (self._grad_mark if kind == "grad" else self._value_mark)(node, number, given, tol)
            for node, number in sorted(given.values(), key=lambda item: self._index[id(item[0])])
        ]
        answered = {m.label for m in marks}
        unanswered = [label for label in self.blanks(kind) if label not in answered]
        return ExerciseReport(self, kind, marks, unanswered)

    def _resolve(self, answers: Mapping[Any, Any]) -> dict[int, tuple[Any, float]]:
        """node id -> (node, the answer as a float); every key and number checked."""
        if not isinstance(answers, Mapping):
            raise TypeError(f"answers must be a dict of label (or node) -> number, got {type(answers).__name__}")
        given: dict[int, tuple[Any, float]] = {}
        for key, answer in answers.items():
            if isinstance(key, str):
                node = self.node(key)
            elif id(key) in self._index and self.order[self._index[id(key)]] is key:
                node = key
            elif hasattr(key, "parents") and hasattr(key, "data"):
                raise ExerciseError(f"{key!r} is not a node of this exercise's graph")
            else:
                raise TypeError(
                    f"an answer is keyed by a node's label (a str) or the node itself, got {type(key).__name__} {key!r}"
                )
            name = node.label or repr(node)
            if id(node) in given:
                raise ExerciseError(f"{name} is answered twice (by its label and as a node): give one answer")
            given[id(node)] = (node, _answer_number(name, answer))
        return given

    def _grad_mark(self, node: Any, given: float, answers: dict, tol: tuple) -> Mark:
        label = node.label or repr(node)
        expected = self._right(node, "grad")
        edges = tuple(self._edge_step(node, r) for r in self.trace.received(node))
        base = dict(label=label, kind="grad", given=given, expected=expected, edges=edges, node=node)
        if _near(given, expected, tol):
            return Mark(correct=True, message="right", **base)
        found: dict[str, tuple[EdgeStep, ...]] = {}
        # carried: the student's own upstream answers (where given) times the right local derivatives
        upstream_wrong = [e for e in edges if self._answered_wrong(e.child, answers, tol)]
        wrong_children = list(dict.fromkeys(e.child for e in upstream_wrong))
        if upstream_wrong:
            theirs = sum(self._their_upstream(e, answers) * e.local for e in edges)
            if _near(given, theirs, tol):
                found["carried"] = tuple(upstream_wrong)
        if len(edges) > 1:
            one = [e for e in edges if _near(given, e.contribution, tol)]
            if one:  # where it goes wrong: the edges left out of the sum
                found["fan_out"] = tuple(e for e in edges if e is not one[0])
        local = [e for e in edges if _near(given, e.local, tol)]
        if local:
            found["local_only"] = (local[0],)
        if not _near(expected, -expected, tol) and _near(given, -expected, tol):
            found["sign"] = edges
        mistake = next(iter(found), "wrong")
        where = found.get(mistake, edges)
        message = self._grad_message(label, given, mistake, where, edges, answers, wrong_children)
        return Mark(correct=False, mistake=mistake, consistent_with=tuple(found) or ("wrong",), where=where,
                    message=message, **base)

    def _edge_step(self, node: Any, received: Any) -> EdgeStep:
        step = self.trace.step_of(received.child)
        edge = step.edges[received.position]
        return EdgeStep(node.label, received.child.label, received.child.op, received.position,
                        float(step.upstream), float(edge.local), float(edge.contribution))

    def _answered_wrong(self, label: str, answers: dict, tol: tuple) -> bool:
        child = self._by_label.get(label)
        if child is None or id(child) not in answers:
            return False
        return not _near(answers[id(child)][1], self._right(child, "grad"), tol)

    def _their_upstream(self, edge: EdgeStep, answers: dict) -> float:
        child = self._by_label[edge.child]
        if child is not self.root and id(child) in answers:
            return answers[id(child)][1]
        return edge.upstream

    def _grad_message(self, label: str, given: float, mistake: str, where: tuple, edges: tuple,
                      answers: dict, wrong_children: list) -> str:
        out = self.output_name
        said = f"{_d(out, label)} = {fmt.number(given)}"
        if not edges:
            return f"{said} is wrong: the output's gradient is the seed of the backward pass, 1"
        if mistake == "carried":
            children = " and ".join(
                f"{_d(out, c)} = {fmt.number(answers[id(self._by_label[c])][1])}" for c in wrong_children
            )
            it = "it" if len(wrong_children) == 1 else "them"
            return (f"{said} follows from your {children}, which is wrong: with {it} as the upstream "
                    f"gradient, your step on the edge into {wrong_children[0]} is right; fix {wrong_children[0]} first")
        if mistake == "fan_out":
            counted = next(e for e in edges if all(e is not w for w in where))
            return (f"{said} is the contribution of one edge only, {self._edge_text(counted)}; {label} feeds "
                    f"{len(edges)} edges (also {'; '.join(self._edge_text(e) for e in where)}), and its gradient "
                    "is the sum of all their contributions (forgot the fan-out sum)")
        if mistake == "local_only":
            return (f"{said} is the local derivative alone on {self._edge_text(where[0])}: multiply it by the "
                    "upstream gradient (downstream = upstream × local)")
        if mistake == "sign":
            return (f"{said} has the wrong sign: check the sign of each factor on "
                    f"{'; '.join(self._edge_text(e) for e in edges)}")
        if len(edges) == 1:
            return f"{said} is wrong: on {self._edge_text(edges[0])}, downstream = upstream × local"
        return (f"{said} is wrong: {label} feeds {len(edges)} edges ({'; '.join(self._edge_text(e) for e in edges)}); "
                "on each, downstream = upstream × local, and its gradient is the sum of them")

    def _edge_text(self, e: EdgeStep) -> str:
        """``the edge x → q (+): upstream df/dq = -4, local dq/dx = 1``; an op that uses the node
        twice (``x * x``) says which operand the edge is."""
        out = self.output_name
        child = self._by_label[e.child]
        which = ""
        if sum(1 for p in child.parents if p is self._by_label.get(e.node)) > 1:
            which = f", operand {e.position + 1}"
        seed = " (the seed)" if child is self.root else ""
        return (f"the edge {e.node} → {e.child} ({e.op}{which}): upstream {_d(out, e.child)} = "
                f"{fmt.number(e.upstream)}{seed}, local {_d(e.child, e.node)} = {fmt.number(e.local)}")

    def _value_mark(self, node: Any, given: float, answers: dict, tol: tuple) -> Mark:
        label = node.label or repr(node)
        expected = self._right(node, "value")
        inputs = tuple((p.label or fmt.number(p.data), float(p.data)) for p in node.parents)
        spelled = node.primitive.spell(*(name for name, _ in inputs)) if node.parents else label
        base = dict(label=label, kind="value", given=given, expected=expected, op=node.op, inputs=inputs,
                    node=node)
        if _near(given, expected, tol):
            return Mark(correct=True, message="right", **base)
        said = f"{label} = {fmt.number(given)}"
        if not node.parents:
            return Mark(correct=False, mistake="wrong", consistent_with=("wrong",), message=(
                f"{said} is wrong: {label} is an input, given as {fmt.number(expected)}"), **base)
        found = []
        wrong_inputs = [p for p in dict.fromkeys(node.parents) if p.parents and id(p) in answers
                        and not _near(answers[id(p)][1], float(p.data), tol)]
        if wrong_inputs:
            theirs = [answers[id(p)][1] if id(p) in answers else float(p.data) for p in node.parents]
            try:
                if _near(given, float(node.primitive.forward(*theirs)), tol):
                    found.append("carried")
            except (ValueError, ZeroDivisionError, OverflowError):
                pass
        if not _near(expected, -expected, tol) and _near(given, -expected, tol):
            found.append("sign")
        mistake = found[0] if found else "wrong"
        with_inputs = ", ".join(f"{name} = {fmt.number(value)}" for name, value in inputs)
        if mistake == "carried":
            names = ", ".join(p.label for p in wrong_inputs)
            message = (f"{said} follows from your value for {names}, which is wrong: with it, {spelled} is "
                       f"right; fix {wrong_inputs[0].label} first")
        elif mistake == "sign":
            message = f"{said} has the wrong sign: {label} = {spelled} with {with_inputs}"
        else:
            message = f"{said} is wrong: {label} = {spelled} with {with_inputs}"
        return Mark(correct=False, mistake=mistake, consistent_with=tuple(found) or ("wrong",), message=message,
                    **base)


def _check_kind(kind: Any) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be 'grad' (the backward pass) or 'value' (the forward pass), got {kind!r}")
    return kind


def _answer_number(name: str, answer: Any) -> float:
    """An answer as a float; anything but a real, finite number is an error naming the node."""
    if fmt.is_array(answer) or isinstance(answer, np.ndarray):
        answer = np.asarray(answer)
        if answer.ndim == 0:
            answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"the answer for {name} must be a number, got {type(answer).__name__} {answer!r}")
    answer = float(answer)
    if not math.isfinite(answer):
        raise ExerciseError(f"the answer for {name} must be a finite number, got {answer}")
    return answer


#: How much past the tolerance a difference may be from float arithmetic alone: -0.125 written
#: -0.12 (two decimals) is off by the tolerance, 0.005, which the subtraction makes 0.005000000000000004.
_FLOAT_SLACK = 1e-9


def _near(a: float, b: float, tol: tuple) -> bool:
    """|a - b| within ``rel_tol`` × max(|a|, |b|) or ``abs_tol``, the bound itself included."""
    rel_tol, abs_tol = tol
    return abs(a - b) <= max(rel_tol * max(abs(a), abs(b)), abs_tol) * (1 + _FLOAT_SLACK)


def _label_every_result(order: Sequence[Any]) -> None:
    """Give each unlabelled result a label ``n<i>`` and make labels unique (`` (2)``, ...)."""
    seen: dict[str, int] = {}
    taken = {node.label for node in order if node.label}
    for i, node in enumerate(order):
        if not node.label:
            if not node.parents:
                continue  # a constant: not asked, and shown by its value
            name = f"n{i}"
            while name in taken:
                name += "'"
            node.label = name
            taken.add(name)
        count = seen.get(node.label, 0) + 1
        seen[node.label] = count
        if count > 1:
            name = f"{node.label} ({count})"
            while name in taken:
                count += 1
                name = f"{node.label} ({count})"
            node.label = name
            taken.add(name)


def _box(scene: Scene, key: str) -> Box:
    for box in scene.boxes:
        if box.key == key:
            return box
    raise KeyError(key)  # pragma: no cover - every node has a box in an ungrouped scene


def _arrow(scene: Scene, tail: str, head: str, nth: int) -> Arrow | None:
    """The ``nth`` arrow (0 first) from ``tail`` to ``head`` (a node used twice by one op has two)."""
    found = [a for a in scene.arrows if a.tail == tail and a.head == head]
    return found[nth] if nth < len(found) else None


def _marked_picture(report: ExerciseReport, engine: str) -> Any:
    ex = report.exercise
    if report.kind == "grad":
        scene = ex._grad_scene(frozenset({"grad"}), CAPTION_MARKED)
    else:
        scene = ex._value_scene(CAPTION_MARKED)
    for m in report.marks:
        box = _box(scene, f"v{ex._index[id(m.node)]}")
        kept = [line for line in box.lines if line.style != "blank" and not
                (report.kind == "grad" and m.node is ex.root and line.style == "grad")]
        name = "grad" if report.kind == "grad" else "data"
        if m.correct:
            box.lines = kept + [Line(f"{name} {fmt.number(m.given)} ✓", "blank")]
            continue
        box.lines = kept + [Line(f"{name} {fmt.number(m.given)} ✗", "grad"), Line(_SHORT[m.mistake], "grad")]
        box.current = True
        if report.kind == "grad":
            for e in m.where:
                child = ex._by_label[e.child]
                parents = child.parents
                nth = sum(1 for p in parents[: e.position] if p is m.node)
                arrow = _arrow(scene, f"v{ex._index[id(m.node)]}", f"op{ex._index[id(child)]}", nth)
                if arrow is not None:
                    arrow.current = True
                    arrow.label = f"{fmt.number(e.upstream)} × {fmt.number(e.local)} = {fmt.BLANK}"
                    arrow.label_style = "grad"
        else:
            for parent in m.node.parents:
                for arrow in scene.arrows:
                    if arrow.tail == f"v{ex._index[id(parent)]}" and arrow.head == f"op{ex._index[id(m.node)]}":
                        arrow.current = True
    return GraphPicture(scene, engine)

"""Exercise mode: ``viz.draw(root, hide="grad")`` draws the blanks, ``check_gradients`` marks them.

A student fills in d(root)/d(node) for the labelled nodes and gets told which answers
are right, without the right numbers being printed (they are in ``expected`` for a
teacher who wants them). The correct values come from one backward pass run on the
side (``viz.trace``), so checking never changes any ``.grad``: the student's graph may
not have been through ``backward()`` at all.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from . import formatting as fmt
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

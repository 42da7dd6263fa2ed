"""The slides' homework, each with a check: the right answers live here, not in a student's cells.

- Sigmoid's derivatives (the activations homework): with s = sigmoid(x) = 1 / (1 + e^-x),
  s' = s (1 - s) and s'' = s (1 - s) (1 - 2 s). :func:`check_sigmoid_derivative` and
  :func:`check_sigmoid_second_derivative` take the student's function of x.
- The log-softmax gradient: d/dx_j log softmax(x)_i = δ_ij - softmax(x)_j.
  :func:`check_log_softmax_gradient` takes the student's function x -> the matrix J[i, j].
- Backprop by hand on a small ReLU net: two inputs x = (0.2, 0.3), two ReLU hidden units,
  one linear output, the squared loss L = ½ (y - ŷ)² with y = 1. :func:`relu_net_exercise`
  is it as an :class:`~viz.exercise.Exercise` (answers by label, feedback per edge);
  :func:`check_relu_net_step` checks one gradient-descent update with learning rate 1,
  w <- w - dL/dw, and the loss after it (which is lower).

Each check returns a :class:`HomeworkReport` (``passed``, truthy, ``score`` in [0, 1],
``message()``, ``to_dict()`` JSON-safe), the same shape as ``autodiff.check_op``'s report.
A placeholder left as ``None`` is "not answered yet" (score 0), not an error.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Mapping

import numpy as np

from .exercise import RIGHT_ABS_TOL, RIGHT_REL_TOL, Exercise, _json_number

SIGMOID_POINTS = tuple(float(x) for x in np.linspace(-4.0, 4.0, 17))
RTOL, ATOL = 1e-6, 1e-9

#: The ReLU net's numbers: inputs, target, weights (W row i = hidden unit i), as on the slide
#: "backprop by hand" (whose figure is lost: these are fixed, simple weights).
RELU_NET_VALUES = {
    "x1": 0.2, "x2": 0.3, "y": 1.0,
    "W11": 1.0, "W12": 1.0, "b1": 0.0,
    "W21": -1.0, "W22": 1.0, "b2": 0.1,
    "v1": 0.5, "v2": -0.5, "c": 0.2,
}
RELU_NET_SOURCE = (
    "z1 = W11 * x1 + W12 * x2 + b1\n"
    "z2 = W21 * x1 + W22 * x2 + b2\n"
    "h1 = relu(z1)\n"
    "h2 = relu(z2)\n"
    "yhat = v1 * h1 + v2 * h2 + c\n"
    "L = 0.5 * (y - yhat) ** 2"
)
RELU_NET_WEIGHTS = ("W11", "W12", "b1", "W21", "W22", "b2", "v1", "v2", "c")
LEARNING_RATE = 1.0


class HomeworkReport:
    """What a homework check found: ``checked`` points, the ``failures`` (one dict per
    wrong point: ``at``, ``expected``, ``given``, and ``error`` when the student's code
    raised), ``score`` = the share right, ``passed`` (also its truth value)."""

    def __init__(self, task: str, checked: int, failures: list[dict], answered: bool = True,
                 note: str = "") -> None:
        self.task = task
        self.checked = checked
        self.failures = failures
        self.answered = answered
        self.note = note

    @property
    def passed(self) -> bool:
        return self.answered and not self.failures

    def __bool__(self) -> bool:
        return self.passed

    @property
    def score(self) -> float:
        if not self.answered or self.checked == 0:
            return 0.0
        return (self.checked - len(self.failures)) / self.checked

    def message(self) -> str:
        """The first failure in words ("" when the answer is right)."""
        if not self.answered:
            return f"{self.task}: not answered yet (replace the None placeholder)"
        if not self.failures:
            return ""
        f = self.failures[0]
        if f.get("error"):
            text = f"your code raised {f['error']} at {f['at']}"
        else:
            text = f"at {f['at']} expected {_text(f['expected'])}, given {_text(f['given'])}"
        more = len(self.failures) - 1
        tail = f" ({more} more of {self.checked} wrong)" if more else ""
        return f"{self.task}: {text}{tail}{self.note}"

    def __str__(self) -> str:
        if self.passed:
            return f"{self.task}: right at all {self.checked} points ✓"
        return "✗ " + self.message()

    def __repr__(self) -> str:
        return f"HomeworkReport({self.task!r}, checked={self.checked}, failures={len(self.failures)}, score={self.score:.3g})"

    def to_dict(self) -> dict:
        return {
            "task": self.task, "passed": self.passed, "score": self.score, "checked": self.checked,
            "answered": self.answered,
            "failures": [{k: _json(v) for k, v in f.items()} for f in self.failures],
            "message": self.message(),
        }


def _json(x: Any) -> Any:
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_json(v) for v in np.asarray(x, dtype=object).tolist()] if np.ndim(x) else _json(np.asarray(x).item())
    if isinstance(x, (numbers.Real, np.floating)) and not isinstance(x, bool):
        return _json_number(x)
    return x


def _text(x: Any) -> str:
    if isinstance(x, (list, tuple, np.ndarray)):
        return np.array2string(np.asarray(x, dtype=float), precision=6, suppress_small=True)
    return f"{x:.6g}" if isinstance(x, (numbers.Real, np.floating)) else repr(x)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _check_function(task: str, student: Any, expected: Callable[[float], float], points=SIGMOID_POINTS) -> HomeworkReport:
    """The student's function of one number against ``expected`` at ``points``."""
    if student is None:
        return HomeworkReport(task, len(points), [], answered=False)
    if not callable(student):
        raise TypeError(f"{task}: give a function of x, got {type(student).__name__} {student!r}")
    failures = []
    for x in points:
        right = expected(x)
        try:
            given = student(x)
            given = float(given.data if hasattr(given, "parents") else given)
        except Exception as error:  # the student's code: any error is a wrong answer, named
            failures.append({"at": f"x = {x:g}", "expected": right, "given": None,
                             "error": f"{type(error).__name__}: {error}"})
            continue
        if not math.isclose(given, right, rel_tol=RTOL, abs_tol=ATOL):
            failures.append({"at": f"x = {x:g}", "expected": right, "given": given})
    return HomeworkReport(task, len(points), failures)


def check_sigmoid_derivative(derivative: Any) -> HomeworkReport:
    """``derivative(x)`` against sigmoid'(x) = s (1 - s), s = sigmoid(x), at 17 points of [-4, 4]."""
    return _check_function("sigmoid'", derivative, lambda x: _sigmoid(x) * (1 - _sigmoid(x)))


def check_sigmoid_second_derivative(second: Any) -> HomeworkReport:
    """``second(x)`` against sigmoid''(x) = s (1 - s) (1 - 2 s), at 17 points of [-4, 4]."""
    return _check_function(
        "sigmoid''", second, lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x))
    )


def check_log_softmax_gradient(jacobian: Any, seed: int = 0, trials: int = 8) -> HomeworkReport:
    """``jacobian(x)`` (x a 1-d array) -> J with J[i, j] = d log softmax(x)_i / d x_j, which
    is δ_ij - softmax(x)_j; checked on ``trials`` random x of lengths 2 to 5."""
    task = "d log softmax(x)_i / dx_j"
    if jacobian is None:
        return HomeworkReport(task, trials, [], answered=False)
    if not callable(jacobian):
        raise TypeError(f"{task}: give a function x -> matrix, got {type(jacobian).__name__} {jacobian!r}")
    rng = np.random.default_rng(seed)
    failures = []
    for _ in range(trials):
        x = np.round(rng.normal(0.0, 2.0, int(rng.integers(2, 6))), 2)
        p = np.exp(x - x.max())
        p /= p.sum()
        right = np.eye(len(x)) - p[None, :]
        where = "x = " + np.array2string(x, separator=", ")
        try:
            given = np.asarray(jacobian(x.copy()), dtype=float)
        except Exception as error:  # the student's code
            failures.append({"at": where, "expected": right, "given": None, "error": f"{type(error).__name__}: {error}"})
            continue
        if given.shape != right.shape:
            failures.append({"at": where, "expected": right, "given": given,
                             "error": f"a matrix of shape {given.shape}, not {right.shape}"})
        elif not np.allclose(given, right, rtol=RTOL, atol=ATOL):
            failures.append({"at": where, "expected": right, "given": given})
    note = ""
    if failures and not failures[0].get("error"):
        given = np.asarray(failures[0]["given"])
        if np.allclose(given, np.asarray(failures[0]["expected"]).T, rtol=RTOL, atol=ATOL):
            note = " (that is the transpose: row i is output i, column j the input x_j)"
    return HomeworkReport(task, trials, failures, note=note)


def relu_net_exercise() -> Exercise:
    """The small ReLU net as an exercise: dL/d(label) for its nine weights and z1, z2, h1,
    h2, yhat (``ex.check({...})``), or their values forward (``kind="value"``)."""
    ex = Exercise.from_expression(RELU_NET_SOURCE, **RELU_NET_VALUES)
    return ex.asking(*RELU_NET_WEIGHTS, "z1", "z2", "h1", "h2", "yhat")


def check_relu_net_step(updated: Any, loss_after: Any = None) -> HomeworkReport:
    """One gradient-descent step on the ReLU net with learning rate 1: ``updated`` maps each
    weight's label to its new value w - dL/dw; ``loss_after`` is L at the new weights
    (lower than before). Both are checked against the net's own backward pass, to the
    precision of a number worked out by hand (``viz.exercise.RIGHT_REL_TOL`` or
    ``RIGHT_ABS_TOL``, as the exercise of the same net); an answer that is not a number
    is marked wrong, shown as it was given."""
    task = "one update with learning rate 1"
    checked = len(RELU_NET_WEIGHTS) + 1
    if updated is None:
        return HomeworkReport(task, checked, [], answered=False)
    if not isinstance(updated, Mapping):
        raise TypeError(f"{task}: give a dict weight label -> new value, got {type(updated).__name__}")
    unknown = sorted(set(updated) - set(RELU_NET_WEIGHTS), key=str)
    if unknown:
        raise ValueError(f"{task}: {', '.join(map(repr, unknown))} is no weight of the net; "
                         f"its weights are {', '.join(RELU_NET_WEIGHTS)}")
    ex = relu_net_exercise()
    grads = ex.expected("grad")
    new = {w: RELU_NET_VALUES[w] - LEARNING_RATE * grads[w] for w in RELU_NET_WEIGHTS}
    failures = []
    after = relu_net_exercise_at(new).root.data
    for at, given, right in [*((w, updated.get(w), new[w]) for w in RELU_NET_WEIGHTS),
                             ("L after the step", loss_after, after)]:
        number = _hand_number(given)
        if number is None or not math.isclose(number, right, rel_tol=RIGHT_REL_TOL, abs_tol=RIGHT_ABS_TOL):
            failures.append({"at": at, "expected": right, "given": given if number is None else number})
    return HomeworkReport(task, checked, failures)


def _hand_number(x: Any) -> float | None:
    """A number worked out by hand as a float (a number, or one written as text); None for anything
    else (a missing answer, a word, a list), which is marked wrong, shown as it was given."""
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer, str)):
        return None
    try:
        return float(x)
    except ValueError:
        return None


def relu_net_exercise_at(weights: Mapping[str, float]) -> Exercise:
    """The ReLU net with other weights (the inputs and target unchanged)."""
    return Exercise.from_expression(RELU_NET_SOURCE, **{**RELU_NET_VALUES, **dict(weights)})

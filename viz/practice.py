"""Random practice graphs: the program of a seeded exercise, in the CLI's expression language.

``random_program(seed, n_ops, ops, fan_out, integers)`` writes statements such as
``a = x * y; b = tanh(a); f = b + a`` and the inputs' values, so an exercise is one
line of text a teacher can print, hand out and rebuild (``Exercise.from_expression``).
The same seed gives the same program in every run and process: all choices come from
``numpy.random.default_rng(seed)``.

Numbers stay small and in each op's domain: inputs are integers from -4 to 4 (or one
decimal from -3 to 3), never 0; ``tanh`` and ``exp`` get inputs in [-3, 3], ``sigmoid``
in [-4, 4], ``log`` in [0.1, 100], ``relu`` never its kink at 0, ``/`` a divisor of at
least 0.5 (and, with integers, a quotient with at most two decimals); every value stays
within 100 and every gradient within 1000.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

#: Binary ops (written ``a OP b``) and unary ones (written by their template).
BINARY_OPS = ("+", "-", "*", "/")
UNARY_OPS = {"**2": "{0} ** 2", "neg": "-{0}", "tanh": "tanh({0})", "sigmoid": "sigmoid({0})",
             "exp": "exp({0})", "log": "log({0})", "relu": "relu({0})"}
SUPPORTED_OPS = BINARY_OPS + tuple(UNARY_OPS)
DEFAULT_OPS = ("+", "-", "*", "tanh", "relu")

#: The most operations an exercise has: more than anyone does by hand in one sitting.
MAX_OPS = 20
INPUT_NAMES = ("x", "y", "z", "w", "u", "v", "s", "t")
#: Names of the intermediate nodes (the output is ``f``): letters that are no input's name.
STEP_NAMES = tuple("abcdeghjkmnpqr")
ROOT_NAME = "f"
VALUE_LIMIT = 100.0
GRAD_LIMIT = 1000.0
ATTEMPTS = 500


def check_ops(ops: Any) -> tuple[str, ...]:
    """``ops`` as a tuple of supported op names; an unknown one is named."""
    if isinstance(ops, str):
        ops = (ops,)
    try:
        ops = tuple(ops)
    except TypeError:
        raise TypeError(f"ops must be a sequence of op names such as ('+', '*', 'tanh'), got {ops!r}") from None
    if not ops:
        raise ValueError("ops is empty: name at least one of " + ", ".join(SUPPORTED_OPS))
    unknown = [op for op in ops if op not in SUPPORTED_OPS]
    if unknown:
        raise ValueError(
            f"ops: unknown op{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} for an exercise; "
            f"supported: {', '.join(SUPPORTED_OPS)}"
        )
    return tuple(dict.fromkeys(ops))


def check_n_ops(n_ops: Any) -> int:
    if isinstance(n_ops, bool) or not isinstance(n_ops, (int, np.integer)):
        raise TypeError(f"n_ops must be a whole number, got {type(n_ops).__name__} {n_ops!r}")
    if n_ops < 1:
        raise ValueError(f"n_ops must be at least 1, got {n_ops}")
    if n_ops > MAX_OPS:
        raise ValueError(
            f"n_ops={n_ops} is too large for an exercise: at most {MAX_OPS} operations "
            "(a graph someone can work through by hand)"
        )
    return int(n_ops)


def _index(rng: np.random.Generator, n: int) -> int:
    """A uniform index below ``n`` (one ``rng.random()`` draw: far cheaper than ``rng.integers``)."""
    return min(int(rng.random() * n), n - 1)


def _weighted(rng: np.random.Generator, choices: list[tuple[str, float]]) -> str:
    """One of the names in ``choices``, drawn with the given weights."""
    u = rng.random() * sum(weight for _, weight in choices)
    for name, weight in choices:
        u -= weight
        if u < 0:
            return name
    return choices[-1][0]


def _step_name(k: int) -> str:
    """a, b, c, ... then a2, b2, ...: the name of intermediate node ``k``."""
    letter, round_ = STEP_NAMES[k % len(STEP_NAMES)], k // len(STEP_NAMES)
    return letter if round_ == 0 else f"{letter}{round_ + 1}"


def _input_name(k: int) -> str:
    return INPUT_NAMES[k] if k < len(INPUT_NAMES) else f"x{k + 1}"


def apply(op: str, a: float, b: float | None, integers: bool) -> float | None:
    """The value of ``op`` on ``a`` (and ``b``), or None where the exercise keeps out of it."""
    if op == "+":
        out = a + b
    elif op == "-":
        out = a - b
    elif op == "*":
        out = a * b
    elif op == "/":
        if abs(b) < 0.5:
            return None
        out = a / b
        if integers and abs(round(out, 2) - out) > 1e-12:
            return None
    elif op == "**2":
        out = a * a
    elif op == "neg":
        out = -a
    elif op == "tanh":
        out = math.tanh(a) if abs(a) <= 3 else None
    elif op == "sigmoid":
        out = 1 / (1 + math.exp(-a)) if abs(a) <= 4 else None
    elif op == "exp":
        out = math.exp(a) if abs(a) <= 3 else None
    elif op == "log":
        out = math.log(a) if 0.1 <= a <= VALUE_LIMIT else None
    elif op == "relu":
        out = max(a, 0.0) if a != 0 else None
    else:  # pragma: no cover - check_ops refuses it first
        raise ValueError(op)
    if out is None or not math.isfinite(out) or abs(out) > VALUE_LIMIT:
        return None
    return out


class _Draft:
    """One attempt at a program: its nodes (name -> value), uses, and the unused ones."""

    def __init__(self, rng: np.random.Generator, fan_out: bool, integers: bool) -> None:
        self.rng = rng
        self.fan_out = fan_out
        self.integers = integers
        self.values: dict[str, float] = {}
        self.inputs: list[str] = []
        self.uses: dict[str, int] = {}
        self.frontier: list[str] = []  # computed nodes no op uses yet
        self.statements: list[str] = []

    def number(self) -> float:
        sign = 1.0 if self.rng.random() < 0.5 else -1.0
        if self.integers:
            return sign * float(1 + _index(self.rng, 4))
        return sign * round(float(self.rng.uniform(0.1, 3.0)), 1)

    def an_input(self) -> tuple[str, bool]:
        """An input for an op: with fan-out, often one already used; else a new one (True: new)."""
        if self.inputs and self.fan_out and self.rng.random() < 0.4:
            return self.inputs[_index(self.rng, len(self.inputs))], False
        name = _input_name(len(self.inputs))
        return name, True

    def reused(self) -> str:
        """A node already in the graph (computed or input), to use once more."""
        used = [name for name in self.values if name not in self.frontier]
        return used[_index(self.rng, len(used))] if used else ""


def random_program(seed: Any, n_ops: int, ops: Sequence[str], fan_out: bool, integers: bool) -> tuple[str, dict, Any]:
    """``(source, values, root)``: a random program of ``n_ops`` operations drawn from ``ops``
    (see the module docstring), the same for the same arguments in every process, and its
    graph (built by ``viz.expression.build``; no ``.grad`` set)."""
    rng = np.random.default_rng(seed)
    binary = [op for op in ops if op in BINARY_OPS]
    unary = [op for op in ops if op in UNARY_OPS]
    for _ in range(ATTEMPTS):
        draft = _attempt(rng, n_ops, binary, unary, fan_out, integers)
        if draft is None:
            continue
        if fan_out and binary and n_ops >= 2 and max(draft.uses.values()) < 2:
            continue  # asked for fan-out: some node feeds two edges
        source = "; ".join(draft.statements)
        values = {name: draft.values[name] for name in draft.inputs}
        root = _built_if_gradients_small(source, values)
        if root is not None:
            return source, values, root
    raise RuntimeError(  # pragma: no cover - not met with the supported ops
        f"could not draw an exercise with n_ops={n_ops}, ops={tuple(ops)!r} in {ATTEMPTS} attempts"
    )


def _built_if_gradients_small(source: str, values: dict) -> Any:
    """The graph of the program when every gradient in it is within ``GRAD_LIMIT``, else None.
    Its ``.grad``s are left as a fresh graph's (None, and 0 on the leaves): no answer shows."""
    from autodiff import topological_order

    from .expression import build

    root = build(source, values)
    order = topological_order(root)
    root.backward()
    small = all(abs(node.grad) <= GRAD_LIMIT for node in order)
    for node in order:
        node.grad = None if node.parents else 0.0
    return root if small else None


def _attempt(rng, n_ops, binary, unary, fan_out, integers) -> _Draft | None:
    draft = _Draft(rng, fan_out, integers)
    for k in range(n_ops):
        left = n_ops - k  # ops still to write, this one included
        for _ in range(30):
            statement = _one_op(draft, binary, unary, left, k == n_ops - 1, k)
            if statement is not None:
                break
        else:
            return None
    return draft if draft.frontier == [ROOT_NAME] else None


def _one_op(draft: _Draft, binary, unary, left: int, last: bool, k: int) -> str | None:
    """Write op number ``k`` (None: the numbers did not fit; the caller draws again).

    The unused nodes must end as one, the output: an op that takes two unused nodes
    merges them (one fewer), one that takes one keeps the count, one that takes none
    adds one; so an op may leave at most ``left`` unused nodes."""
    rng = draft.rng
    m = len(draft.frontier)
    choices = []
    if m >= 2 and binary:
        choices.append(("merge", 0.35))
    if m >= 1 and m <= left:
        choices.append(("extend", 0.5))
    if m + 1 <= left - 1 or m == 0:
        choices.append(("new", 0.15 if m else 1.0))
    if not choices:
        return None
    how = _weighted(rng, choices)
    use_binary = bool(binary) and (how == "merge" or not unary or rng.random() < 0.6)
    op = (binary[_index(rng, len(binary))] if use_binary else unary[_index(rng, len(unary))])
    new_inputs: list[str] = []

    def operand(kind: str) -> str:
        if kind == "frontier":
            return draft.frontier[_index(rng, len(draft.frontier))]
        if kind == "reuse":
            return draft.reused()
        name, new = draft.an_input()
        if new:
            if name in new_inputs:  # two new inputs in one op: the second gets the next name
                name = _input_name(len(draft.inputs) + len(new_inputs))
            new_inputs.append(name)
        return name

    if how == "merge":
        a = operand("frontier")
        b = operand("frontier")
        if a == b:
            return None
    elif how == "extend":
        a = operand("frontier")
        if use_binary:
            if draft.fan_out and rng.random() < 0.5:
                b = a if rng.random() < 0.25 else operand("reuse")
            else:
                b = operand("input")
            if not b:
                return None
        else:
            b = None
    else:
        a = operand("input")
        b = operand("input") if use_binary else None
        if b == a and not draft.fan_out:
            return None
    if a == b and op in ("-", "/"):
        return None  # a - a and a / a are constants
    if b is not None and rng.random() < 0.5:
        a, b = b, a
    values = {name: draft.number() for name in new_inputs}
    value_of = {**draft.values, **values}
    out = apply(op, value_of[a], None if b is None else value_of[b], draft.integers)
    if out is None:
        return None
    if op == "relu" and value_of[a] < 0 and rng.random() < 0.7:
        return None  # a dead relu zeroes every gradient below it: now and then, not often
    # commit: the new inputs, the uses, the unused nodes
    for name in new_inputs:
        draft.inputs.append(name)
        draft.values[name] = values[name]
        draft.uses[name] = 0
    for name in (a, b):
        if name is None:
            continue
        if name in draft.frontier:
            draft.frontier.remove(name)
        draft.uses[name] = draft.uses.get(name, 0) + 1
    target = ROOT_NAME if last else _step_name(k)
    draft.values[target] = out
    draft.uses[target] = 0
    draft.frontier.append(target)
    text = f"{a} {op} {b}" if b is not None else UNARY_OPS[op].format(a)
    statement = f"{target} = {text}"
    draft.statements.append(statement)
    return statement

"""Expressions typed on the command line, turned into a graph of Values without ``eval``.

``build("(x + y) * z", {"x": -2, "y": 5, "z": -4})`` parses the text with ``ast`` and
walks the tree itself, accepting only a whitelist:

- numbers, and names given a value (each name becomes one leaf Value, so ``x * x`` uses
  the same node twice);
- ``+ - * / **`` and unary ``-`` (and ``+``);
- calls of the Value methods by name, e.g. ``tanh(x)``, ``leaky_relu(x, 0.1)`` (extra
  arguments must be numbers);
- statements ``name = expression`` separated by ``;`` or new lines, to name
  intermediate nodes as on the slides: ``q = x + y; f = q * z``. The last statement
  is the result.

Anything else (attribute access, subscripts, lambdas, other calls such as
``__import__``, comparisons, strings, ...) raises :class:`ExpressionError` naming the
offending piece. Nodes are labelled by the name they are assigned to, else by their
own text when it is short (``x + y``).
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Mapping

from autodiff import Value

#: Value methods callable by name, with how many extra (number) arguments each accepts.
FUNCTIONS = {
    "exp": 0, "log": 0, "sqrt": 0, "abs": 0, "tanh": 0, "sigmoid": 0, "relu": 0, "gelu": 0, "silu": 0,
    "sin": 0, "cos": 0, "erf": 0, "leaky_relu": 1, "elu": 1, "softplus": 2,
}
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.Pow: operator.pow}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
LABEL_LENGTH = 24  # sub-expressions up to this long are labelled with their own text

ALLOWED = (
    "numbers, names, + - * / **, unary -, name = ... statements, and the functions " + ", ".join(FUNCTIONS)
)

# What a rejected piece is called in the message.
_DESCRIPTIONS = {
    ast.Attribute: "attribute access", ast.Call: "calling the result of a call",
    ast.Subscript: "a subscript", ast.Lambda: "a lambda", ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator", ast.IfExp: "a conditional expression", ast.List: "a list",
    ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set", ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression", ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment expression", ast.Starred: "a starred argument", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice", ast.Import: "an import",
    ast.ImportFrom: "an import", ast.FunctionDef: "a function definition",
    ast.ClassDef: "a class definition", ast.For: "a loop", ast.While: "a loop", ast.If: "an if statement",
    ast.With: "a with statement", ast.AugAssign: "an augmented assignment", ast.Delete: "del",
    ast.Global: "global", ast.Nonlocal: "nonlocal", ast.Raise: "raise", ast.Try: "try",
    ast.Assert: "assert", ast.Pass: "pass", ast.Return: "return", ast.Break: "break",
    ast.Continue: "continue", ast.Mod: "the operator %", ast.FloorDiv: "the operator //",
    ast.MatMult: "the operator @", ast.BitAnd: "the operator &", ast.BitOr: "the operator |",
    ast.BitXor: "the operator ^", ast.LShift: "the operator <<", ast.RShift: "the operator >>",
    ast.Invert: "the operator ~", ast.Not: "not",
}


class ExpressionError(ValueError):
    """An expression outside the whitelist, or one that cannot be computed; the message says which piece."""


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return f"a {type(node.value).__name__} constant"
    return _DESCRIPTIONS.get(type(node), f"{type(node).__name__} syntax")


def _segment(source: str, node: ast.AST) -> str | None:
    return ast.get_source_segment(source, node)


def _reject(node: ast.AST, source: str, what: str | None = None) -> ExpressionError:
    """The error for a piece outside the whitelist: what it is, and where (its own text)."""
    what = what or _describe(node)
    segment = ast.get_source_segment(source, node) if hasattr(node, "lineno") else None
    where = f" in {segment!r}" if segment and segment not in what else ""
    return ExpressionError(f"{what} is not allowed{where}; allowed: {ALLOWED}")


def parse_values(assignments: list[str]) -> dict[str, float]:
    """``["x=-2", "y=5"]`` -> ``{"x": -2.0, "y": 5.0}``."""
    values: dict[str, float] = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"expected NAME=NUMBER, got {item!r}")
        try:
            values[name] = float(text)
        except ValueError:
            raise ExpressionError(f"the value of {name} must be a number, got {text.strip()!r}") from None
    return values


def build(source: str, values: Mapping[str, float]) -> Value:
    """The graph of ``source`` with its names set to ``values``: the root Value."""
    source = source.strip()
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as error:
        raise ExpressionError(f"cannot parse {source!r}: {error.msg}") from None
    except (RecursionError, MemoryError):  # Python's own parser gives up on very deep nesting
        raise ExpressionError("the expression is nested too deeply for Python's parser") from None
    if not tree.body:
        raise ExpressionError("the expression is empty")
    env: dict[str, Any] = {name: Value(float(v), label=name) for name, v in values.items()}
    inputs = {id(v) for v in env.values()}
    result: Any = None
    for index, statement in enumerate(tree.body):
        if isinstance(statement, ast.Assign):
            if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
                raise _reject(statement, source, "an assignment to anything but one name")
            target = statement.targets[0].id
            if target in env:
                segment = ast.get_source_segment(source, statement)
                raise ExpressionError(f"{target} is already defined; pick another name in {segment!r}")
            result = _evaluate(statement.value, env, inputs, source)
            if isinstance(result, Value) and id(result) not in inputs:
                result.label = target
            env[target] = result
        elif isinstance(statement, ast.Expr) and index == len(tree.body) - 1:
            result = _evaluate(statement.value, env, inputs, source)
        else:
            raise _reject(statement, source)
    if not isinstance(result, Value):
        raise ExpressionError(f"{source!r} uses no name: there is nothing to differentiate")
    return result


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _check(node: ast.expr, env: Mapping[str, Any], source: str) -> None:
    """Reject ``node`` unless the whitelist allows it (its children are checked in turn)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _reject(node, source)
    elif isinstance(node, ast.Name):
        if node.id not in env:
            raise ExpressionError(f"no value for {node.id!r}: add {node.id}=NUMBER")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in BINARY:
            raise _reject(node.op, source, f"{_describe(node.op)} (in {_segment(source, node)!r})")
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in UNARY:
            raise _reject(node.op, source, f"{_describe(node.op)} (in {_segment(source, node)!r})")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _reject(node.func, source)
        name = node.func.id
        if name not in FUNCTIONS:
            raise _reject(node, source, f"the function {name!r} (not a Value method)")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise _reject(node, source, f"keyword or starred arguments to {name}")
        if not 1 <= len(node.args) <= 1 + FUNCTIONS[name]:
            most = 1 + FUNCTIONS[name]
            raise ExpressionError(
                f"{name} takes {'1 argument' if most == 1 else f'1 to {most} arguments'}, "
                f"got {len(node.args)} in {ast.get_source_segment(source, node)!r}"
            )
    else:
        raise _reject(node, source)


def _evaluate(expr: ast.expr, env: Mapping[str, Any], inputs: set[int], source: str) -> Any:
    """Post-order walk with an explicit stack: check each piece, then compute it."""
    results: dict[int, Any] = {}
    stack: list[tuple[ast.expr, bool]] = [(expr, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            _check(node, env, source)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_children(node)))
            continue
        args = [results[id(child)] for child in _children(node)]
        try:
            value = _apply(node, args, env, source)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
            raise ExpressionError(f"cannot compute {_segment(source, node)!r}: {error}") from None
        fresh = isinstance(value, Value) and id(value) not in inputs and not value.label
        if fresh and not isinstance(node, (ast.Constant, ast.Name)):
            text = ast.get_source_segment(source, node)
            if text and len(text) <= LABEL_LENGTH:
                value.label = text
        results[id(node)] = value
    return results[id(expr)]


def _apply(node: ast.expr, args: list[Any], env: Mapping[str, Any], source: str) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.BinOp):
        left, right = args
        if not isinstance(left, Value) and not isinstance(right, Value):
            return float(BINARY[type(node.op)](left, right))  # numbers only: a constant
        return BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](args[0])
    name = node.func.id
    operand, extra = args[0], args[1:]
    if any(isinstance(a, Value) for a in extra):
        segment = ast.get_source_segment(source, node)
        raise ExpressionError(f"the extra arguments of {name} must be numbers in {segment!r}")
    operand = operand if isinstance(operand, Value) else Value(operand)
    return getattr(operand, name)(*extra)

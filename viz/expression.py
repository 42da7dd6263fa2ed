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
  is the result;
- ``with NAME:`` blocks (on their own lines, the body indented or after the colon): the
  nodes made inside one block share a scope called NAME, so that ``viz.draw(root,
  group=NAME)`` (the CLI's ``--group NAME``) draws each block as one box.

The text is walked in time linear in its length (positions are looked up in a table of
line starts built once); an expression longer than ``MAX_SOURCE_LENGTH`` characters is
refused before it is parsed. A value that overflows (to inf or nan) is an error naming
the piece that overflowed.

Anything else (attribute access, subscripts, lambdas, other calls such as
``__import__``, comparisons, strings, ...) raises :class:`ExpressionError` naming the
offending piece (cut short when long; ``error.excerpt()`` shows where it is, with a
caret). Nodes are labelled by the name they are assigned to, else by their
own text when it is short (``x + y``).
"""

from __future__ import annotations

import ast
import contextlib
import math
import operator
import unicodedata
from typing import Any, Mapping

from autodiff import Value, scope

#: Value methods callable by name, with how many extra (number) arguments each accepts.
FUNCTIONS = {
    "exp": 0, "log": 0, "sqrt": 0, "abs": 0, "tanh": 0, "sigmoid": 0, "relu": 0, "gelu": 0, "silu": 0,
    "sin": 0, "cos": 0, "erf": 0, "leaky_relu": 1, "elu": 1, "softplus": 2,
}
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.Pow: operator.pow}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
LABEL_LENGTH = 24  # sub-expressions up to this long are labelled with their own text
#: The longest expression accepted, in characters (one command-line argument holds at most 128 KiB on
#: Linux); a picture of even a tenth of this would have far more boxes than anyone can read.
MAX_SOURCE_LENGTH = 100_000
QUOTE_WIDTH = 40  # a piece of the expression quoted in a message is cut to about this many characters
EXCERPT_WIDTH = 60  # the window of the expression shown above the caret
_FLOAT_RANGE = " (a float holds up to about 1.8e308)"

ALLOWED = (
    "numbers, names, + - * / **, unary -, name = ... statements, with NAME: blocks, and the functions "
    + ", ".join(FUNCTIONS)
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
    """An expression outside the whitelist, or one that cannot be computed; the message says which piece.

    ``source`` and ``offset`` (a character index into it, or None) say where: ``excerpt()``
    is a short window of the source with a caret under that place.
    """

    def __init__(self, message: str, source: str | None = None, offset: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.offset = offset

    def excerpt(self, width: int = EXCERPT_WIDTH) -> str:
        """Two lines: at most ``width`` characters of the source line around the problem, and a
        caret under it (``""`` when the error has no place)."""
        if self.source is None or self.offset is None:
            return ""
        offset = min(max(self.offset, 0), len(self.source))
        line_start = self.source.rfind("\n", 0, offset) + 1
        line_end = self.source.find("\n", offset)
        line_end = len(self.source) if line_end < 0 else line_end
        column = offset - line_start
        left = max(line_start, min(offset - width // 2, line_end - width))
        right = min(line_end, left + width)
        text = self.source[left:right]
        caret = offset - left
        if left > line_start:
            text, caret = "..." + text, caret + 3
        if right < line_end:
            text += "..."
        where = f"line {self.source.count(chr(10), 0, line_start) + 1}, " if "\n" in self.source else ""
        return f"{text}\n{' ' * caret}^ ({where}column {column + 1})"


def quote(text: str, width: int = QUOTE_WIDTH) -> str:
    """``repr(text)``, its middle cut out when it is longer than ``width`` characters."""
    if len(text) > width:
        keep = (width - 3) // 2
        text = f"{text[:keep]}...{text[-keep:]}"
    return repr(text)


def _ident(name: str) -> str:
    """A name for a message: as it is, or quoted and cut short when it is very long."""
    return name if len(name) <= QUOTE_WIDTH else quote(name)


class _Source:
    """The expression's text with its line starts, so that a node's own text costs O(its length).

    ``ast`` gives positions as (line, UTF-8 byte column); ``ast.get_source_segment``
    splits the whole source into lines on every call, which is quadratic over a big
    expression. Here the lines are found once.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.ascii = len(self.data) == len(text)
        self.line_starts = [0]
        newline = self.data.find(b"\n")
        while newline >= 0:
            self.line_starts.append(newline + 1)
            newline = self.data.find(b"\n", newline + 1)

    def _span(self, node: ast.AST) -> tuple[int, int]:
        start = self.line_starts[node.lineno - 1] + node.col_offset
        end = self.line_starts[node.end_lineno - 1] + node.end_col_offset
        return start, end

    def length(self, node: ast.AST) -> int:
        """The length of ``node``'s text in bytes (its length in characters, for ASCII)."""
        start, end = self._span(node)
        return end - start

    def segment(self, node: ast.AST) -> str:
        start, end = self._span(node)
        return self.data[start:end].decode("utf-8")

    def quoted(self, node: ast.AST) -> str:
        """``node``'s text for a message, its middle cut out when long (only its ends are decoded)."""
        start, end = self._span(node)
        if end - start > 4 * QUOTE_WIDTH:
            head = self.data[start : start + QUOTE_WIDTH].decode("utf-8", "ignore")
            tail = self.data[end - QUOTE_WIDTH : end].decode("utf-8", "ignore")
            return quote(head + tail)
        return quote(self.data[start:end].decode("utf-8"))

    def offset(self, node: ast.AST) -> int:
        """``node``'s start as a character index into the text."""
        start, _ = self._span(node)
        return start if self.ascii else len(self.data[:start].decode("utf-8", "ignore"))

    def error(self, message: str, node: ast.AST | None = None) -> ExpressionError:
        offset = self.offset(node) if node is not None and hasattr(node, "lineno") else None
        return ExpressionError(message, self.text, offset)


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return f"a {type(node.value).__name__} constant"
    return _DESCRIPTIONS.get(type(node), f"{type(node).__name__} syntax")


def _reject(node: ast.AST, source: _Source, what: str | None = None) -> ExpressionError:
    """The error for a piece outside the whitelist: what it is, and where (its own text)."""
    what = what or _describe(node)
    where = ""
    if hasattr(node, "lineno"):
        short = source.length(node) <= 4 * QUOTE_WIDTH
        if not short or source.segment(node) not in what:
            where = f" in {source.quoted(node)}"
    return source.error(f"{what} is not allowed{where}; allowed: {ALLOWED}", node)


def parse_values(assignments: list[str]) -> dict[str, float]:
    """``["x=-2", "y=5"]`` -> ``{"x": -2.0, "y": 5.0}``; a name given twice, or a value that is
    not a finite number, raises :class:`ExpressionError`."""
    values: dict[str, float] = {}
    given: dict[str, str] = {}  # by the name as the parser reads it: ``ℌ=1 H=2`` names H twice
    for item in assignments:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"expected NAME=NUMBER, got {quote(item)}")
        if _identifier(name) in given:
            raise ExpressionError(
                f"{_ident(name)} is given twice ({quote(given[_identifier(name)])} and {quote(item)}): "
                "give each name once"
            )
        try:
            value = float(text)
        except ValueError:
            got = quote(text.strip())
            raise ExpressionError(f"the value of {name} must be a number, got {got}") from None
        if not math.isfinite(value):
            raise ExpressionError(f"the value of {name} must be a finite number, got {quote(text.strip())}")
        values[name], given[_identifier(name)] = value, item
    return values


def _identifier(name: str) -> str:
    """``name`` as Python's parser reads it in the expression: NFKC-normalized (``ℌ`` is ``H``,
    ``ﬁ`` is ``fi``), so a name given as NAME=VALUE matches the same name written in the text."""
    return unicodedata.normalize("NFKC", name)


def build(source: str, values: Mapping[str, float]) -> Value:
    """The graph of ``source`` with its names set to ``values``: the root Value.

    Linear in the length of ``source``; a source longer than ``MAX_SOURCE_LENGTH``
    characters is refused before it is parsed. ``with NAME:`` blocks put the nodes made
    inside them in a scope called NAME (``autodiff.scope``), for ``viz.draw(..., group=NAME)``.
    """
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"the expression is {len(source):,} characters long; the most accepted is {MAX_SOURCE_LENGTH:,}"
        )
    text = _Source(source.strip().replace("\r\n", "\n").replace("\r", "\n"))
    try:
        tree = ast.parse(text.text, mode="exec")
    except SyntaxError as error:
        offset = None
        if error.lineno is not None and error.offset is not None:
            lines = text.text.split("\n")
            if 1 <= error.lineno <= len(lines):
                offset = sum(len(line) + 1 for line in lines[: error.lineno - 1]) + max(error.offset - 1, 0)
        raise ExpressionError(f"cannot parse the expression: {error.msg}", text.text, offset) from None
    except ValueError as error:  # e.g. a null byte
        raise ExpressionError(f"cannot parse the expression: {error}") from None
    except (RecursionError, MemoryError):  # Python's own parser gives up on very deep nesting
        raise ExpressionError("the expression is nested too deeply for Python's parser") from None
    statements = _statements(tree.body, text)
    if not statements:
        raise ExpressionError("the expression is empty")
    env: dict[str, Any] = {}
    for name, v in values.items():
        if _identifier(name) in env:
            raise ExpressionError(f"{_ident(name)} and {_ident(env[_identifier(name)].label)} are one name "
                                  "(Python reads them alike): give it once")
        env[_identifier(name)] = Value(float(v), label=name)  # labelled as the user spelled it
    inputs = {id(v) for v in env.values()}
    result: Any = None
    with contextlib.ExitStack() as exits:
        opened: list[contextlib.ExitStack] = []  # one per open block, innermost last
        exits.callback(lambda: [stack.close() for stack in reversed(opened)])
        for index, (statement, blocks) in enumerate(statements):
            _enter_blocks(opened, blocks)
            if isinstance(statement, ast.Assign):
                if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
                    raise _reject(statement, text, "an assignment to anything but one name")
                target = statement.targets[0].id
                if target in env:
                    raise text.error(
                        f"{_ident(target)} is already defined; pick another name in {text.quoted(statement)}",
                        statement,
                    )
                result = _evaluate(statement.value, env, inputs, text)
                if isinstance(result, Value) and id(result) not in inputs:
                    result.label = target
                env[target] = result
            elif isinstance(statement, ast.Expr) and index == len(statements) - 1:
                result = _evaluate(statement.value, env, inputs, text)
            elif isinstance(statement, ast.Expr):
                raise text.error(
                    f"{text.quoted(statement)} is an expression before the last statement, where its value "
                    "would be lost: name it (`a = ...`) or leave it out (only the last statement may be "
                    "an expression alone)",
                    statement,
                )
            else:
                raise _reject(statement, text)
    if not isinstance(result, Value):
        raise ExpressionError("the expression uses no name: there is nothing to differentiate")
    return result


def _enter_blocks(opened: list[contextlib.ExitStack], blocks: tuple) -> None:
    """Leave the open ``with`` blocks that ``blocks`` is not inside, enter its new ones: a block
    is one scope (one ``autodiff.scope`` call) for all its statements."""
    keep = 0
    while keep < min(len(opened), len(blocks)) and opened[keep].block is blocks[keep][1]:
        keep += 1
    while len(opened) > keep:
        opened.pop().close()
    for name, block in blocks[keep:]:
        stack = contextlib.ExitStack()
        stack.block = block  # type: ignore[attr-defined]
        stack.enter_context(scope(name, owner=block))
        opened.append(stack)


class _Block:
    """One ``with NAME:`` block: the owner of its scopes, so that its statements make one group."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _statements(body: list[ast.stmt], source: _Source) -> list[tuple[ast.stmt, tuple]]:
    """The simple statements in order, each with the ``with NAME:`` blocks around it
    (outermost first), flattened with an explicit stack."""
    flat: list[tuple[ast.stmt, tuple]] = []
    stack: list[tuple[list[ast.stmt], int, tuple]] = [(body, 0, ())]
    while stack:
        statements, index, blocks = stack.pop()
        if index == len(statements):
            continue
        statement = statements[index]
        stack.append((statements, index + 1, blocks))
        if isinstance(statement, ast.With):
            item = statement.items[0]
            if len(statement.items) != 1 or item.optional_vars or not isinstance(item.context_expr, ast.Name):
                raise _reject(statement, source, "a with statement other than `with NAME:`")
            name = item.context_expr.id
            stack.append((statement.body, 0, blocks + ((name, _Block(name)),)))
        else:
            flat.append((statement, blocks))
    return flat


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _check(node: ast.expr, env: Mapping[str, Any], source: _Source) -> None:
    """Reject ``node`` unless the whitelist allows it (its children are checked in turn)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _reject(node, source)
    elif isinstance(node, ast.Name):
        if node.id not in env:
            name = quote(node.id)
            add = f": add {node.id}=NUMBER" if len(node.id) <= QUOTE_WIDTH else ""
            raise source.error(f"no value for {name}{add}", node)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in BINARY:
            raise source.error(
                f"{_describe(node.op)} (in {source.quoted(node)}) is not allowed; allowed: {ALLOWED}", node
            )
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in UNARY:
            raise source.error(
                f"{_describe(node.op)} (in {source.quoted(node)}) is not allowed; allowed: {ALLOWED}", node
            )
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _reject(node.func, source)
        name = node.func.id
        if name not in FUNCTIONS:
            raise _reject(node, source, f"the function {quote(name)} (not a Value method)")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise _reject(node, source, f"keyword or starred arguments to {name}")
        if not 1 <= len(node.args) <= 1 + FUNCTIONS[name]:
            most = 1 + FUNCTIONS[name]
            raise source.error(
                f"{name} takes {'1 argument' if most == 1 else f'1 to {most} arguments'}, "
                f"got {len(node.args)} in {source.quoted(node)}",
                node,
            )
    else:
        raise _reject(node, source)


def _evaluate(expr: ast.expr, env: Mapping[str, Any], inputs: set[int], source: _Source) -> Any:
    """Post-order walk with an explicit stack: check each piece, then compute it.

    Every piece costs O(1) beyond its own operation: its length comes from its
    positions, and its text is sliced only when short enough to be its label.
    """
    results: dict[int, Any] = {}
    stack: list[tuple[ast.expr, bool]] = [(expr, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            _check(node, env, source)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_children(node)))
            continue
        args = [results.pop(id(child)) for child in _children(node)]
        try:
            value = _apply(node, args, env, source)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
            if isinstance(error, ExpressionError):
                raise
            if isinstance(error, OverflowError):
                raise source.error(f"{source.quoted(node)} overflows{_FLOAT_RANGE}", node) from None
            raise source.error(f"cannot compute {source.quoted(node)}: {error}", node) from None
        number = value.data if isinstance(value, Value) else value
        if not math.isfinite(number):
            why = "is not a number (nan)" if math.isnan(number) else f"overflows to {number}"
            raise source.error(f"{source.quoted(node)} {why}{_FLOAT_RANGE}", node)
        fresh = isinstance(value, Value) and id(value) not in inputs and not value.label
        if fresh and not isinstance(node, (ast.Constant, ast.Name)) and source.length(node) <= LABEL_LENGTH:
            text = _label_text(source.segment(node))
            if text and len(text) <= LABEL_LENGTH:
                value.label = text
        results[id(node)] = value
    return results[id(expr)]


def _label_text(text: str) -> str:
    """A piece's own text as a one-line label: runs of spaces and line breaks as one space;
    "" (no label) when the piece holds a comment or a line continuation, which are not the
    expression itself."""
    if "#" in text or "\\" in text:
        return ""
    return " ".join(text.split())


def _apply(node: ast.expr, args: list[Any], env: Mapping[str, Any], source: _Source) -> Any:
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
        raise source.error(f"the extra arguments of {name} must be numbers in {source.quoted(node)}", node)
    operand = operand if isinstance(operand, Value) else Value(operand)
    return getattr(operand, name)(*extra)

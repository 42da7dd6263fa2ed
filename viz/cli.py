"""The ``backprop-lab`` command (also ``python -m viz``).

    backprop-lab render "(x + y) * z" x=-2 y=5 z=-4 -o graph.png [--direction backward]
                        [--gif steps.gif] [--html steps.html] [--step-direction forward|backward]
                        [--group NAME] [--max-nodes N] [--engine auto|graphviz|matplotlib]

``render`` builds the expression's graph (parsed with ``ast`` against a whitelist and
never evaluated as Python: see ``viz.expression``), draws it forward (or backward,
after running ``backward()`` on it) to the ``-o`` file (.png, .svg, .pdf, .dot or .gv),
and, with ``--gif`` / ``--html``, writes the step-by-step animation of the backward pass
(or the forward pass, with ``--step-direction forward``) as a GIF or as a web page with
the step-through player.

Every failure, bad input or not, is one line ``backprop-lab: error: ...`` on stderr
and exit status 2, never a traceback: a rejected expression (followed by a short
excerpt of it with a caret under the problem), a name given twice, a value that
overflows in the forward or the backward pass, a graph with more boxes than
``--max-nodes``, an output folder that does not exist or an output that is a folder,
``--engine graphviz`` without the ``dot`` program. Nothing is written when the input is
refused.
"""

from __future__ import annotations

import argparse
import html
import math
import sys
from pathlib import Path
from typing import Any, NoReturn, Sequence

from autodiff import topological_order

from . import formatting as fmt
from .expression import MAX_SOURCE_LENGTH, ExpressionError, build, parse_values, quote
from .grouping import assign_groups, scope_names
from .picture import DEFAULT_MAX_NODES, ENGINES, draw, resolve_engine
from .scene import DIRECTIONS, GraphTooLargeError, box_count
from .stepper import BackpropStepper
from .trace import BackwardTrace

PICTURE_SUFFIXES = (".png", ".svg", ".pdf", ".dot", ".gv")
USAGE_ERROR = 2
INTERRUPTED = 130
PREFIX = "backprop-lab: error: "
PATH_WIDTH = 200  # a file name in a message is cut to this many characters
MESSAGE_LENGTH = 600  # a message longer than this (an unexpected error's text, say) is cut


class UsageError(ValueError):
    """A bad file name or argument (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is raised (and printed by ``main`` as one line), not printed
    with the whole usage and exited."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _max_nodes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--max-nodes must be a whole number, got {quote(text)}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--max-nodes must be at least 1, got {value}")
    return value


def _group(text: str) -> str | int:
    """A scope name, or a depth (1 = outermost) when it is a whole number."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "--group needs the name of a `with NAME:` block, or a depth (1 = outermost)"
        )
    if text.isdigit():
        depth = int(text)
        if depth < 1:
            raise argparse.ArgumentTypeError(
                f"--group depth must be at least 1 (1 = the outermost block), got {depth}"
            )
        return depth
    return text


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The top-level parser and its ``render`` command's."""
    parser = _Parser(
        prog="backprop-lab",
        description="Draw computation graphs and their backward pass (backprop-lab's viz).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    render = commands.add_parser(
        "render",
        help="draw the graph of an expression",
        description=(
            "Draw the graph of EXPRESSION with its names set by NAME=VALUE. The expression may use "
            "numbers, names, + - * / **, unary -, Value methods by name such as tanh(x) or "
            "leaky_relu(x, 0.1), `name = ...` statements separated by ';' or new lines to name "
            "nodes, e.g. \"q = x + y; f = q * z\", and `with NAME:` blocks to group nodes "
            f"(see --group). It is never run as Python, and is at most {MAX_SOURCE_LENGTH:,} "
            "characters long. An expression that starts with '-' goes after --: "
            "backprop-lab render -o g.png -- \"-x * y\" x=1 y=2. Errors: one line on stderr, exit status 2."
        ),
    )
    render.add_argument("expression", help='e.g. "(x + y) * z"')
    render.add_argument("values", nargs="*", metavar="NAME=VALUE", help="e.g. x=-2 y=5 z=-4 (each name once)")
    render.add_argument("-o", "--output", help="picture file: .png, .svg, .pdf, .dot or .gv")
    render.add_argument("--direction", choices=DIRECTIONS, default="forward",
                        help="forward: values; backward: gradients and the chain rule on every edge")
    render.add_argument("--gif", metavar="PATH", help="also write the step-by-step animation as a GIF")
    render.add_argument("--html", metavar="PATH",
                        help="also write a web page with the step-through player (previous / play / next)")
    render.add_argument("--step-direction", "--gif-direction", dest="step_direction", choices=DIRECTIONS,
                        default="backward",
                        help="which pass --gif and --html step through (default: backward)")
    render.add_argument("--group", type=_group, metavar="NAME",
                        help="one box per `with NAME:` block of the expression (a number: a nesting depth, "
                        "1 = outermost)")
    render.add_argument("--max-nodes", type=_max_nodes, default=DEFAULT_MAX_NODES, metavar="N",
                        help=f"the most boxes a picture may have (default {DEFAULT_MAX_NODES})")
    render.add_argument("--engine", choices=ENGINES, default="auto",
                        help="renderer: graphviz needs the `dot` program; auto falls back to matplotlib")
    return parser, render


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 2 any error, 130 interrupted)."""
    if argv is not None and (not isinstance(argv, (list, tuple)) or not all(isinstance(a, str) for a in argv)):
        raise TypeError(f"main: argv must be a list of str (the command line's words) or None, got {argv!r}")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, render = _parser()
    try:
        try:
            if argv[:1] == ["render"] and "--" in argv:  # options before --, the expression after it
                args = render.parse_args(argv[1:])
                args.command = "render"
            elif argv[:1] == ["render"]:  # options may come between NAME=VALUE pairs
                args = render.parse_intermixed_args(argv[1:])
                args.command = "render"
            else:
                args = parser.parse_args(argv)  # --help, or an unknown command
        except UsageError as error:
            raise _dash_hint(argv, render) or error from None
        return _render(args)
    except SystemExit as exit_:  # --help, printed by argparse
        return int(exit_.code or 0) if isinstance(exit_.code, (int, type(None))) else USAGE_ERROR
    except KeyboardInterrupt:
        _print_error("interrupted")
        return INTERRUPTED
    except BaseException as error:  # noqa: BLE001: the command must never end in a traceback
        _print_error(_message(error), error.excerpt() if isinstance(error, ExpressionError) else "")
        return USAGE_ERROR


def _print_error(message: str, excerpt: str = "") -> None:
    """One line ``backprop-lab: error: ...``; an expression error adds its excerpt and caret below."""
    message = " ".join(message.split())
    if len(message) > MESSAGE_LENGTH:
        message = message[: MESSAGE_LENGTH - 3] + "..."
    print(PREFIX + message, file=sys.stderr)
    for line in excerpt.splitlines():
        print("  " + line, file=sys.stderr)


def _message(error: BaseException) -> str:
    """What to tell the user, in the command line's own terms."""
    if isinstance(error, (ExpressionError, UsageError)):
        return str(error)
    if isinstance(error, GraphTooLargeError):  # the size is checked before drawing; this is a fallback
        return str(error).replace("max_nodes=", "--max-nodes ").replace("group=", "--group ")
    if isinstance(error, MemoryError):
        return "out of memory: the graph is too big for this machine (try a smaller expression)"
    if isinstance(error, OSError):
        where = f" {quote(str(error.filename), PATH_WIDTH)}" if error.filename else ""
        return f"cannot write{where}: {error.strerror or error}"
    if isinstance(error, ValueError) and "group=" in str(error):  # viz.grouping: no such scope
        hint = "; put part of the expression in a `with NAME:` block"
        return str(error).replace("group=", "--group ") + hint
    return f"unexpected {type(error).__name__}: {error}"


def _dash_hint(argv: Sequence[str], parser: argparse.ArgumentParser) -> UsageError | None:
    """An expression starting with '-' (``-x``) is taken for an option: say to write ``-- -x``."""
    if "--" in argv:
        return None
    known = {option for action in parser._actions for option in action.option_strings}
    for token in argv[1:]:
        dash = token.startswith("-") and not token.startswith("--")
        if dash and token.split("=", 1)[0] not in known and not _is_number(token):
            return UsageError(
                f"{quote(token)} is read as an option; an expression that starts with '-' goes after --, "
                f"with the options before it: backprop-lab render -o graph.png -- {quote(token)} x=1"
            )
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_output(option: str, path: str | None, suffixes: Sequence[str], what: str) -> Path | None:
    """The output file ``path`` (None: not asked for), refused when it cannot be written."""
    if path is None:
        return None
    if not path.strip():
        raise UsageError(f"{option} needs a file name, got an empty one")
    target = Path(path)
    shown = quote(path, PATH_WIDTH)
    if target.is_dir():
        example = quote(str(target / ("graph" + suffixes[0])), PATH_WIDTH)
        raise UsageError(f"{option} {shown} is a folder; give a file name in it, e.g. {example}")
    if target.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {shown}: the {what} must end in {', '.join(suffixes)}")
    folder = target.parent
    if not folder.exists():
        folder_name = quote(str(folder), PATH_WIDTH)
        raise UsageError(f"{option} {shown}: the folder {folder_name} does not exist (create it first)")
    if not folder.is_dir():
        raise UsageError(f"{option} {shown}: {quote(str(folder), PATH_WIDTH)} is not a folder")
    return target


def _render(args: argparse.Namespace) -> int:
    output = _check_output("-o", args.output, PICTURE_SUFFIXES, "picture file")
    gif = _check_output("--gif", args.gif, (".gif",), "animation file")
    page = _check_output("--html", args.html, (".html", ".htm"), "page")
    if output is None and gif is None and page is None:
        raise UsageError("nothing to write: give -o/--output PATH (and/or --gif PATH, --html PATH)")
    try:
        resolve_engine(args.engine)
    except RuntimeError:
        raise UsageError(
            "--engine graphviz needs the `dot` program of graphviz on PATH, which is missing: "
            "install graphviz (e.g. apt-get install graphviz), or use --engine matplotlib (or auto)"
        ) from None
    values = parse_values(args.values)
    root = build(args.expression, values)
    order = topological_order(root)
    _check_size(order, args.group, args.max_nodes)
    used = {node.label for node in order if not node.parents}
    for name in values:
        if name not in used:
            print(f"backprop-lab: note: {name}={fmt.number(values[name])} is not used by the expression",
                  file=sys.stderr)
    stepping = (gif or page) is not None
    if args.direction == "backward" or (stepping and args.step_direction == "backward"):
        _check_backward(root)
    print(f"{_name(root.label) or 'result'} = {fmt.number(root.data)}")
    if args.direction == "backward":
        root.backward()
        leaves = [node for node in order if not node.parents and node.label]
        name = root.label if root.label.isidentifier() else ""
        grads = [f"d{name}/d{node.label} = {fmt.number(node.grad)}" for node in leaves]
        print("gradients: " + ", ".join(grads))
    common = dict(engine=args.engine, group=args.group, max_nodes=args.max_nodes)
    if output is not None:
        picture = draw(root, direction=args.direction, **common)
        picture.save(output)
        print(f"wrote {output} ({args.direction}, {picture.engine})")
    if stepping:
        stepper = BackpropStepper(root, direction=args.step_direction, **common)
        if gif is not None:
            stepper.save_gif(gif)
            print(f"wrote {gif} ({args.step_direction}, {len(stepper)} frames)")
        if page is not None:
            page.write_text(_page(args.expression, args.values, stepper.to_html()), encoding="utf-8")
            print(f"wrote {page} ({args.step_direction} player, {len(stepper)} frames)")
    return 0


def _name(label: str) -> str:
    return label if len(label) <= 40 else quote(label)


def _check_size(order: list, group: str | int | None, max_nodes: int) -> None:
    """Refuse, before any drawing (or backward pass), a picture with more than ``max_nodes`` boxes."""
    names = scope_names(order)
    if isinstance(group, str) and group not in names:
        blocks = (
            f"its blocks are {', '.join(names)}" if names
            else f"make one, e.g. \"with {_name(group)}: a = w * x + b\" (then a new line and the rest)"
        )
        name = _name(group)
        raise UsageError(f"--group {name}: the expression has no `with {name}:` block; {blocks}")
    membership, groups = assign_groups(order, group) if group is not None else ({}, [])
    count = box_count(order, membership, groups)
    if count <= max_nodes:
        return
    options = []
    for name in names:
        grouped = box_count(order, *assign_groups(order, name))
        options.append(f"--group {name} ({grouped:,} boxes)")
    grouping = (
        "add " + " or ".join(options)
        if options and group is None
        else "put parts of the expression in `with NAME:` blocks and add --group NAME (one box per block)"
    )
    raise UsageError(
        f"the picture would have {count:,} boxes ({len(order):,} nodes"
        + (f", grouped by {group!r}" if group is not None else "")
        + f"), more than --max-nodes {max_nodes}. Instead: {grouping}; or draw a smaller expression; "
        f"or raise the limit with --max-nodes {count}, if you are ready to wait for a picture too big to read"
    )


def _check_backward(root: Any) -> None:
    """Refuse a backward pass whose gradients overflow (to inf or nan), naming the first node hit."""
    try:
        trace = BackwardTrace(root)  # on the side: leaves every .grad as it is
    except (OverflowError, ZeroDivisionError, ValueError) as error:
        raise UsageError(f"the backward pass cannot be computed: {error}") from None
    order = trace.order
    for i in range(len(order) - 1, -1, -1):  # from the root back to the inputs
        grad = trace.grad(order[i])
        if grad is not None and not math.isfinite(grad):
            node = order[i]
            name = _name(node.label) if node.label else f"#{i} {node.op}"
            why = "is not a number (nan)" if math.isnan(grad) else f"overflows to {grad}"
            raise UsageError(
                f"the backward pass overflows: the gradient of {name} {why} "
                "(a float holds up to about 1.8e308)"
            )


def _page(expression: str, values: Sequence[str], player: str) -> str:
    """A whole web page around the stepper's player fragment."""
    shown = expression if len(expression) <= 80 else expression[:77] + "..."
    title = html.escape(f"backprop-lab: {shown}")
    given = html.escape(" ".join(values)) if len(" ".join(values)) <= 200 else f"{len(values)} values"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{title}</title>\n"
        "<style>body { font-family: system-ui, sans-serif; margin: 1.5rem; } "
        "code { font-size: 1.1em; }</style>\n</head>\n<body>\n"
        f"<h1>Step by step: <code>{html.escape(shown)}</code></h1>\n"
        f"<p>with {given}. Use previous / play / next or the slider to walk through the pass.</p>\n"
        f"{player}\n</body>\n</html>\n"
    )

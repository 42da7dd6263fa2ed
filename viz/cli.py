"""The ``backprop-lab`` command (also ``python -m viz``).

    backprop-lab render "(x + y) * z" x=-2 y=5 z=-4 -o graph.png [--direction backward]
                        [--gif steps.gif] [--gif-direction forward|backward] [--engine ...]

``render`` builds the expression's graph (parsed with ``ast`` against a whitelist and
never evaluated as Python: see ``viz.expression``), draws it forward (or backward,
after running ``backward()`` on it) to the ``-o`` file (.png, .svg, .pdf, .dot or .gv)
and, with ``--gif``, writes the step-by-step animation of the backward pass (or the
forward pass, with ``--gif-direction forward``). A rejected expression or a bad
argument exits with status 2 and a message that names the offending piece.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from autodiff import topological_order

from . import formatting as fmt
from .expression import ExpressionError, build, parse_values
from .picture import ENGINES, draw
from .scene import DIRECTIONS
from .stepper import BackpropStepper

PICTURE_SUFFIXES = (".png", ".svg", ".pdf", ".dot", ".gv")
USAGE_ERROR = 2


class UsageError(ValueError):
    """A bad file name or argument (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
            "leaky_relu(x, 0.1), and `name = ...` statements separated by ';' to name nodes, "
            "e.g. \"q = x + y; f = q * z\". It is never run as Python."
        ),
    )
    render.add_argument("expression", help='e.g. "(x + y) * z"')
    render.add_argument("values", nargs="*", metavar="NAME=VALUE", help="e.g. x=-2 y=5 z=-4")
    render.add_argument("-o", "--output", required=True, help="picture file: .png, .svg, .pdf, .dot or .gv")
    render.add_argument("--direction", choices=DIRECTIONS, default="forward",
                        help="forward: values; backward: gradients and the chain rule on every edge")
    render.add_argument("--gif", metavar="PATH", help="also write the step-by-step animation as a GIF")
    render.add_argument("--gif-direction", choices=DIRECTIONS, default="backward",
                        help="which pass the GIF steps through (default: backward)")
    render.add_argument("--engine", choices=ENGINES, default="auto",
                        help="renderer: graphviz needs the `dot` program; auto falls back to matplotlib")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 2 bad input)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage error (or the help)
        return int(exit_.code or 0)
    try:
        return _render(args)
    except (ExpressionError, UsageError) as error:
        print(f"backprop-lab: error: {error}", file=sys.stderr)
        return USAGE_ERROR


def _render(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.suffix.lower() not in PICTURE_SUFFIXES:
        raise UsageError(f"-o {args.output}: the picture file must end in {', '.join(PICTURE_SUFFIXES)}")
    if args.gif and Path(args.gif).suffix.lower() != ".gif":
        raise UsageError(f"--gif {args.gif}: the animation file must end in .gif")
    values = parse_values(args.values)
    root = build(args.expression, values)
    used = {node.label for node in _leaves(root)}
    for name in values:
        if name not in used:
            print(f"backprop-lab: note: {name}={fmt.number(values[name])} is not used by the expression",
                  file=sys.stderr)
    print(f"{root.label or 'result'} = {fmt.number(root.data)}")
    if args.direction == "backward":
        root.backward()
        leaves = [node for node in _leaves(root) if node.label]
        name = root.label if root.label.isidentifier() else ""
        grads = [f"d{name}/d{node.label} = {fmt.number(node.grad)}" for node in leaves]
        print("gradients: " + ", ".join(grads))
    picture = draw(root, direction=args.direction, engine=args.engine)
    picture.save(output)
    print(f"wrote {output} ({args.direction}, {picture.engine})")
    if args.gif:
        stepper = BackpropStepper(root, direction=args.gif_direction, engine=args.engine)
        stepper.save_gif(args.gif)
        print(f"wrote {args.gif} ({args.gif_direction}, {len(stepper)} frames)")
    return 0


def _leaves(root: Any) -> list:
    return [node for node in topological_order(root) if not node.parents]

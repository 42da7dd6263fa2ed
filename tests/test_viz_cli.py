"""The backprop-lab command line: pictures from an expression, and the whitelist that guards it."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from viz.cli import main
from autodiff import topological_order
from viz.expression import ExpressionError, build, parse_values
from viz.render_dot import dot_available

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ["(x + y) * z", "x=-2", "y=5", "z=-4"]


def run(*argv: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    command = [sys.executable, "-m", "viz", *argv]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)


def test_render_forward_png(tmp_path, capsys):
    out = tmp_path / "graph.png"
    assert main(["render", *EXAMPLE, "-o", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "(x + y) * z = -12",
        f"wrote {out} (forward, {'graphviz' if dot_available() else 'matplotlib'})",
    ]
    image = Image.open(out)
    assert image.format == "PNG" and image.size[0] > 600 and image.size[1] > 150


def test_render_backward_with_gif(tmp_path, capsys):
    out, gif = tmp_path / "graph.svg", tmp_path / "steps.gif"
    code = main(["render", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "-o", str(out),
                 "--direction", "backward", "--gif", str(gif), "--engine", "matplotlib"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["f = -12", "gradients: df/dx = -4, df/dy = -4, df/dz = 3"]
    assert lines[-1] == f"wrote {gif} (backward, 3 frames)"
    svg = html.unescape(out.read_text(encoding="utf-8"))
    for text in ("-4 × 1 = -4", "1 × -4 = -4", "1 × 3 = 3", "grad 1 (seed)"):
        assert text in svg
    assert Image.open(gif).n_frames == 3


def test_forward_gif_and_dot_output(tmp_path):
    dot, gif = tmp_path / "g.dot", tmp_path / "fwd.gif"
    assert main(["render", "tanh(a * b)", "a=0.5", "b=2", "-o", str(dot), "--gif", str(gif),
                 "--gif-direction", "forward"]) == 0
    text = dot.read_text(encoding="utf-8")
    assert "<B>a * b</B>" in text and "<B>tanh(a * b)</B>" in text and "data 0.7616" in text
    assert Image.open(gif).n_frames == 3


@pytest.mark.parametrize(
    "expression, piece",
    [
        ("x.data", "attribute access is not allowed in 'x.data'"),
        ("__import__('os')",
         "the function '__import__' (not a Value method) is not allowed in \"__import__('os')\""),
        ("__import__('os').system('true')", "attribute access is not allowed in \"__import__('os').system\""),
        ("x[0]", "a subscript is not allowed in 'x[0]'"),
        ("(lambda: x)()", "a lambda is not allowed in 'lambda: x'"),
        ("tanh(x)(y)", "calling the result of a call is not allowed in 'tanh(x)'"),
        ("lambda: x", "a lambda is not allowed in 'lambda: x'"),
        ("x.tanh()", "attribute access is not allowed in 'x.tanh'"),
        ("open('f')", "'open' (not a Value method)"),
        ("x if y else z", "a conditional expression"),
        ("x < y", "a comparison"),
        ("x // y", "the operator //"),
        ("x @ y", "the operator @"),
        ("'text' * x", "a str constant"),
        ("import os", "an import is not allowed in 'import os'"),
        ("tanh(x, 2)", "tanh takes 1 argument, got 2"),
        ("leaky_relu(x, y)", "the extra arguments of leaky_relu must be numbers"),
        ("tanh(x=y)", "keyword or starred arguments to tanh"),
        ("x = 3; x * y", "x is already defined"),
        ("w * x", "no value for 'w': add w=NUMBER"),
        ("log(x - y)", "cannot compute 'log(x - y)': log"),
        ("2 * 3", "uses no name"),
        ("x +", "cannot parse"),
    ],
)
def test_rejected_expressions_exit_2_naming_the_piece(expression, piece, tmp_path, capsys):
    out = tmp_path / "never.png"
    assert main(["render", expression, "x=1", "y=2", "z=3", "-o", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("backprop-lab: error: ") and piece in error, error
    assert not out.exists()


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["render", "x * y", "x=1", "y=two", "-o", str(tmp_path / "g.png")]) == 2
    assert "the value of y must be a number, got 'two'" in capsys.readouterr().err
    assert main(["render", "x", "x:1", "-o", str(tmp_path / "g.png")]) == 2
    assert "expected NAME=NUMBER, got 'x:1'" in capsys.readouterr().err
    assert main(["render", "x", "x=1", "-o", str(tmp_path / "g.jpg")]) == 2
    assert "must end in .png" in capsys.readouterr().err
    assert main(["render", "x", "x=1", "-o", str(tmp_path / "g.png"), "--gif", str(tmp_path / "a.mp4")]) == 2
    assert main(["render", "x * y", "x=1"]) == 2  # no -o: argparse's own usage error
    assert "-o/--output" in capsys.readouterr().err
    assert main(["paint", "x"]) == 2
    assert main(["--help"]) == 0


def test_unused_value_is_noted(tmp_path, capsys):
    assert main(["render", "x * 2", "x=1", "k=5", "-o", str(tmp_path / "g.dot")]) == 0
    assert "k=5 is not used" in capsys.readouterr().err


def test_python_dash_m_viz_runs_the_cli(tmp_path):
    done = run("render", *EXAMPLE, "-o", str(tmp_path / "g.png"), "--direction", "backward")
    assert done.returncode == 0, done.stderr
    assert "gradients: d/dx = -4, d/dy = -4, d/dz = 3" in done.stdout
    rejected = run("render", "__import__('os')", "-o", str(tmp_path / "h.png"))
    assert rejected.returncode == 2
    assert "'__import__'" in rejected.stderr and not (tmp_path / "h.png").exists()


def test_console_script_is_installed(tmp_path):
    script = Path(sys.executable).with_name("backprop-lab")
    if not script.exists():
        pytest.skip("the package is not installed in this environment (pip install -e .)")
    done = subprocess.run([str(script), "render", *EXAMPLE, "-o", str(tmp_path / "g.png")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and (tmp_path / "g.png").stat().st_size > 1000


# -- the expression builder itself -------------------------------------------------------


def test_build_makes_the_graph_with_shared_names_and_labels():
    root = build("q = x + y; f = q * z", parse_values(["x=-2", "y=5", "z=-4"]))
    assert [(n.label, n.op, n.data) for n in topological_order(root)] == [
        ("x", "", -2.0), ("y", "", 5.0), ("q", "+", 3.0), ("z", "", -4.0), ("f", "*", -12.0),
    ]
    square = build("x * x", {"x": 3.0})
    assert square.parents[0] is square.parents[1]  # one node used twice
    powers = build("x ** 2 + 2 ** x - -x", {"x": 3.0})
    assert powers.data == 9 + 8 + 3
    assert {n.op for n in topological_order(powers)} >= {"**2", "**", "neg", "-", "+"}
    assert build("leaky_relu(x, 0.1)", {"x": -2.0}).data == pytest.approx(-0.2)
    assert build("exp(1) * x", {"x": 1.0}).data == pytest.approx(2.718281828)
    long = build("x * x * x * x * x * x * x * x", {"x": 1.0})
    assert long.label == ""  # too long to be its own label


def test_build_walks_deep_expressions_without_recursion():
    depth = 900  # about as deep as Python's parser goes; the walk itself uses no recursion
    root = build("x" + " + x" * depth, {"x": 1.0})
    assert root.data == depth + 1
    with pytest.raises(ExpressionError, match="nested too deeply"):
        build("x" + " + x" * 20000, {"x": 1.0})


def test_expression_error_is_a_value_error():
    with pytest.raises(ValueError):
        build("x.y", {"x": 1.0})
    with pytest.raises(ExpressionError, match="empty"):
        build("   ", {})

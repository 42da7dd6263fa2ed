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


# -- every error: one line, exit status 2, no traceback ------------------------------------

PREFIX = "backprop-lab: error: "
TWO_NEURONS = (
    "with N1: a = w1 * x + b1; h1 = tanh(a)\n"
    "with N2: c = w2 * x + b2; h2 = tanh(c)\n"
    "out = h1 * v1 + h2 * v2"
)
TWO_NEURON_VALUES = ["x=1", "w1=0.5", "b1=0", "w2=-1", "b2=0.2", "v1=1", "v2=2"]


def error_of(stderr: str) -> tuple[str, list[str]]:
    """The one error line (without its prefix) and the excerpt lines under it."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith(PREFIX)]
    assert len(errors) == 1 and lines[0] == errors[0], stderr
    excerpt = lines[1:]
    assert len(excerpt) in (0, 2) and all(line.startswith("  ") for line in excerpt), stderr
    return errors[0][len(PREFIX):], [line[2:] for line in excerpt]


def refused(capsys, *argv: str) -> tuple[str, list[str]]:
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert captured.out == "" or "=" in captured.out  # at most the result line, never a traceback
    return error_of(captured.err)


def test_cli_errors_are_one_line_in_a_subprocess(tmp_path):
    cases = [
        (["render", "x * y", "x=1", "x=2", "-o", str(tmp_path / "g.png")],
         "x is given twice ('x=1' and 'x=2')"),
        (["render", "x", "x=1", "-o", str(tmp_path / "missing" / "g.png")], "the folder"),
        (["render", "x", "x=1", "-o", str(tmp_path)], "is a folder"),
        (["render", "x", "x=1", "--max-nodes", "many", "-o", str(tmp_path / "g.png")],
         "--max-nodes must be a whole number"),
        (["paint", "x"], "invalid choice: 'paint'"),
        (["render", "x +", "x=1", "-o", str(tmp_path / "g.png")], "cannot parse the expression"),
    ]
    for argv, piece in cases:
        done = run(*argv)
        assert done.returncode == 2, (argv, done.stderr)
        message, _ = error_of(done.stderr)
        assert piece in message, (argv, message)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_graph_too_large_names_group_and_max_nodes(tmp_path, capsys):
    chain = " * ".join(["x"] * 160)  # 160 value nodes (x and 159 products) + 159 op boxes = 319 boxes
    out = tmp_path / "g.dot"
    message, _ = refused(capsys, "render", chain, "x=1", "-o", str(out))
    assert "319 boxes (160 nodes), more than --max-nodes 300" in message
    assert "--group NAME" in message and "with NAME:" in message and "--max-nodes 319" in message
    assert not out.exists()
    assert main(["render", chain, "x=1", "-o", str(out), "--max-nodes", "319"]) == 0
    assert out.read_text(encoding="utf-8").count("->") == 159 * 2 + 159  # two inputs and one output per op
    # with blocks in the expression, the message names them with the boxes each grouping gives
    values = TWO_NEURON_VALUES
    message, _ = refused(capsys, "render", TWO_NEURONS, *values, "-o", str(out), "--max-nodes", "10")
    # 16 value nodes and 9 ops; --group N1 turns w1, b1, w1 * x, a, h1 and their 3 ops into one box
    assert "25 boxes (16 nodes), more than --max-nodes 10" in message
    assert "--group N1 (18 boxes) or --group N2 (18 boxes)" in message


def test_group_option_draws_each_with_block_as_one_box(tmp_path, capsys):
    out = tmp_path / "g.dot"
    assert main(["render", TWO_NEURONS, *TWO_NEURON_VALUES, "-o", str(out), "--group", "N1"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "N1" in text and "5 nodes" in text  # w1, b1, w1 * x, a and h1 in one box
    assert "<B>c</B>" in text  # N2 is not grouped
    message, _ = refused(capsys, "render", "x * 2", "x=1", "-o", str(out), "--group", "Neuron")
    assert message.startswith("--group Neuron: the expression has no `with Neuron:` block")
    message, _ = refused(capsys, "render", TWO_NEURONS, *TWO_NEURON_VALUES, "-o", str(out), "--group", "N3")
    assert "its blocks are N1, N2" in message


def test_overflow_forward_and_backward_is_refused(tmp_path, capsys):
    out = tmp_path / "g.png"
    message, excerpt = refused(capsys, "render", "2 * (x * y)", "x=1e200", "y=1e200", "-o", str(out))
    assert message.startswith("'x * y' overflows to inf")
    assert excerpt == ["2 * (x * y)", "     ^ (column 6)"]
    message, _ = refused(capsys, "render", "exp(x)", "x=1000", "-o", str(out))
    assert "'exp(x)' overflows" in message
    # log(1e-320) = -736.8 is fine, but its derivative 1/x = 1e320 is not a float
    message, _ = refused(capsys, "render", "f = log(x)", "x=1e-320", "-o", str(out),
                         "--direction", "backward")
    assert message.startswith("the backward pass overflows: the gradient of x overflows to inf")
    message, _ = refused(capsys, "render", "log(x)", "x=1e-320", "-o", str(out),
                         "--gif", str(tmp_path / "s.gif"))
    assert "the gradient of x overflows" in message
    message, _ = refused(capsys, "render", "x", "x=inf", "-o", str(out))
    assert message == "the value of x must be a finite number, got 'inf'"
    assert list(tmp_path.iterdir()) == []


def test_output_paths_are_checked_before_any_work(tmp_path, capsys):
    ok = str(tmp_path / "g.png")
    for option, name in (("-o", "g.png"), ("--gif", "s.gif"), ("--html", "p.html")):
        argv = ["render", "x * 2", "x=1", option, str(tmp_path / "nope" / name)]
        if option != "-o":
            argv += ["-o", ok]
        message, _ = refused(capsys, *argv)
        missing = tmp_path / "nope"
        expected = f"{option} '{missing / name}': the folder '{missing}' does not exist (create it first)"
        assert message == expected
        folder = tmp_path / f"folder{Path(name).suffix}"
        folder.mkdir()
        argv = ["render", "x * 2", "x=1", option, str(folder)] + (["-o", ok] if option != "-o" else [])
        message, _ = refused(capsys, *argv)
        assert message.startswith(f"{option} '{folder}' is a folder; give a file name in it")
    message, _ = refused(capsys, "render", "x", "x=1", "--html", str(tmp_path / "p.txt"))
    assert message.endswith("the page must end in .html, .htm")
    assert not (tmp_path / "g.png").exists()


def test_engine_graphviz_without_dot_is_one_line(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "viz", "render", "x", "x=1", "--engine", "graphviz",
                           "-o", str(tmp_path / "g.png")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 2
    message, _ = error_of(done.stderr)
    assert message.startswith("--engine graphviz needs the `dot` program")
    assert "--engine matplotlib" in message


def test_expression_errors_show_a_short_excerpt_with_a_caret(capsys, tmp_path):
    out = str(tmp_path / "g.png")
    message, excerpt = refused(capsys, "render", "x + (y *", "x=1", "y=2", "-o", out)
    assert message == "cannot parse the expression: '(' was never closed"
    assert excerpt == ["x + (y *", "    ^ (column 5)"]
    message, excerpt = refused(capsys, "render", "q = x + 1\nf = q * w", "x=1", "-o", out)
    assert message == "no value for 'w': add w=NUMBER"
    assert excerpt == ["f = q * w", "        ^ (line 2, column 9)"]
    # a long input is not echoed back: the error line and the excerpt stay short
    statements = [f"a{i} = x + {i}" for i in range(5000)] + ["b = a1 * w + x"]
    long = "; ".join(statements + [f"c{i} = b + {i}" for i in range(99)])
    message, (text, caret) = refused(capsys, "render", long, "x=1", "-o", out)
    assert message == "no value for 'w': add w=NUMBER"
    assert len(text) <= 70 and text.startswith("...") and text.endswith("...")
    assert text[caret.index("^")] == "w" and f"(column {long.index('w') + 1})" in caret
    big = _balanced_sum(5000)  # 24,997 characters
    message, _ = refused(capsys, "render", big + " // x", "x=1", "-o", out)
    assert message.startswith("the operator // (in '" + big[:18] + "...") and "+(x+x))))))) // x')" in message
    assert len(message) < 400
    message, _ = refused(capsys, "render", f"tanh({big}, 2)", "x=1", "-o", out)
    assert message.startswith("tanh takes 1 argument, got 2 in 'tanh((((") and len(message) < 200
    name = "v" * 5000
    message, _ = refused(capsys, "render", name, "x=1", "-o", out)
    assert message == f"no value for {'v' * 18 + '...' + 'v' * 18!r}"


def test_expression_starting_with_dash_says_to_write_double_dash(tmp_path, capsys):
    out = str(tmp_path / "g.png")
    message, _ = refused(capsys, "render", "-x", "x=1", "-o", out)
    assert message.startswith("'-x' is read as an option") and "-- '-x' x=1" in message
    message, _ = refused(capsys, "render", "-2*x", "x=1", "-o", out)
    assert "'-2*x' is read as an option" in message
    assert main(["render", "-o", out, "--direction", "backward", "--", "-x * y", "x=1", "y=3"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["-x * y = -3", "gradients: d/dx = -3, d/dy = -1"]
    message, _ = refused(capsys, "render", "x", "x=1", "-o", out, "--bogus")
    assert message.startswith("unrecognized arguments: --bogus")


def test_options_may_come_between_values(tmp_path, capsys):
    out = tmp_path / "g.dot"
    assert main(["render", "x * y", "x=-2", "-o", str(out), "y=3"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "x * y = -6"


def test_oversized_input_is_refused_at_once(tmp_path, capsys, monkeypatch):
    import ast

    from viz import expression

    def no_parse(*args, **kwargs):
        raise AssertionError("an oversized input must be refused before it is parsed")

    monkeypatch.setattr(ast, "parse", no_parse)
    source = "x+" * 500_000 + "x"  # 1,000,001 characters
    message, excerpt = refused(capsys, "render", source, "x=1", "-o", str(tmp_path / "g.png"))
    limit = expression.MAX_SOURCE_LENGTH
    assert message == f"the expression is 1,000,001 characters long; the most accepted is {limit:,}"
    assert excerpt == []


# -- the --html page ----------------------------------------------------------------------


def _html_page(tmp_path, capsys) -> Path:
    page = tmp_path / "steps.html"
    assert main(["render", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--html", str(page),
                 "--engine", "matplotlib"]) == 0
    assert capsys.readouterr().out.splitlines() == ["f = -12", f"wrote {page} (backward player, 3 frames)"]
    return page


def test_html_writes_a_whole_page_around_the_player(tmp_path, capsys):
    from html.parser import HTMLParser

    text = _html_page(tmp_path, capsys).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">") and text.rstrip().endswith("</html>")

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.title = [], ""

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, dict(attrs)))

        def handle_data(self, data):
            if self.tags and self.tags[-1][0] == "title":
                self.title += data

    tags = Tags()
    tags.feed(text)
    names = [tag for tag, _ in tags.tags]
    assert names[:4] == ["html", "head", "meta", "meta"] and "body" in names
    assert tags.title.strip() == "backprop-lab: q = x + y; f = q * z"
    assert names.count("button") >= 3 and ("input", "range") in [(t, a.get("type")) for t, a in tags.tags]
    # nothing fetched: no source or link off the page (the SVG's xmlns names a namespace, not a fetch)
    assert "<script" in text and "fetch(" not in text and "XMLHttpRequest" not in text
    links = [value for _, attrs in tags.tags for name, value in attrs.items() if name in ("src", "href")]
    assert not [link for link in links if link and "//" in link], links


def test_html_page_runs_in_headless_chromium(tmp_path, capsys):
    import shutil

    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if missing:
        pytest.skip(f"no {' or '.join(missing)} on PATH (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="selenium is not installed (pip install -e '.[dev]')")
    from selenium.webdriver.common.by import By

    page = _html_page(tmp_path, capsys)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.get(page.as_uri())
        assert driver.title == "backprop-lab: q = x + y; f = q * z"
        assert driver.find_element(By.TAG_NAME, "h1").text == "Step by step: q = x + y; f = q * z"
        buttons = driver.find_elements(By.TAG_NAME, "button")
        assert len(buttons) >= 3
        slider = driver.find_element(By.CSS_SELECTOR, "input[type=range]")
        assert slider.get_attribute("max") == "2"  # 3 frames: the seed, then f and q pass theirs on
        for button in buttons:
            button.click()
        severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert severe == []
    finally:
        driver.quit()


# -- the parser is linear in the input ----------------------------------------------------


def _balanced_sum(leaves: int) -> str:
    parts = ["x"] * leaves
    while len(parts) > 1:
        pairs = [f"({parts[i]}+{parts[i + 1]})" for i in range(0, len(parts) - 1, 2)]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def test_big_inputs_parse_without_per_node_source_lookups(monkeypatch):
    import ast

    from viz import expression

    def quadratic(*args, **kwargs):
        raise AssertionError("ast.get_source_segment splits the whole source on every call")

    monkeypatch.setattr(ast, "get_source_segment", quadratic)
    sliced = []
    segment = expression._Source.segment
    def recorded(self, node):
        sliced.append(segment(self, node))
        return sliced[-1]

    monkeypatch.setattr(expression._Source, "segment", recorded)
    statements = ["a0 = x + 1"] + [f"a{i} = a{i - 1} * 0.5 + x" for i in range(1, 2000)]
    root = build("; ".join(statements), {"x": 1.0})
    expected = 2.0
    for _ in range(1, 2000):
        expected = expected * 0.5 + 1.0
    assert root.label == "a1999" and root.data == pytest.approx(expected)
    source = _balanced_sum(25_000)
    assert 99_000 < len(source) <= expression.MAX_SOURCE_LENGTH
    sliced.clear()
    root = build(source, {"x": 1.0})
    assert root.data == 25_000 and len(topological_order(root)) == 25_000  # x and 24,999 sums
    # only pieces short enough to be labels are cut out of the source: O(1) each
    assert sliced and max(map(len, sliced)) <= expression.LABEL_LENGTH and len(sliced) < 25_000


def test_with_blocks_make_one_scope_each():
    root = build("with L:\n  with N: a = 2 * x; b = a + 1\n  c = b * x\nc", {"x": 3.0})
    nodes = {node.label: node for node in topological_order(root)}
    assert root.data == 21.0
    assert nodes["x"].scope is None
    assert [s.name for s in nodes["a"].scope.path] == ["L", "N"]
    assert nodes["a"].scope is nodes["b"].scope  # the whole block is one scope
    assert [s.name for s in nodes["c"].scope.path] == ["L"] and nodes["c"].scope is nodes["a"].scope.parent
    from autodiff.context import current_scope  # the blocks are closed again

    assert current_scope() is None
    with pytest.raises(ExpressionError, match="a with statement other than `with NAME:`"):
        build("with open(x): y = x", {"x": 1.0})


def test_repeated_value_is_an_error_naming_it():
    with pytest.raises(ExpressionError, match=r"^y is given twice \('y=1' and 'y= 2'\)"):
        parse_values(["x=0", "y=1", "y= 2"])


def test_names_match_as_pythons_parser_reads_them(tmp_path, capsys):
    # Python reads identifiers NFKC-normalized: the text's ℌ is the name H, ﬁ is fi
    assert main(["render", "ℌ * 2 + ﬁ", "ℌ=3", "ﬁ=0.5", "-o", str(tmp_path / "g.dot"), "--direction",
                 "backward"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["ℌ * 2 + ﬁ = 6.5", "gradients: d/dℌ = 2, d/dﬁ = 1"]
    with pytest.raises(ExpressionError, match=r"^H is given twice \('ℌ=3' and 'H=1'\)"):
        parse_values(["ℌ=3", "H=1"])
    with pytest.raises(ExpressionError, match="are one name"):
        build("H", {"ℌ": 1.0, "H": 2.0})


def test_labels_are_one_line_of_the_expression_itself():
    root = build("q = (x +  # the sum\n  y); f = (x\n  * y) + q * \\\n  2", {"x": 3.0, "y": -1.0})
    assert root.data == 3.0 * -1.0 + 2.0 * 2
    labels = [n.label for n in topological_order(root) if n.parents]
    assert "x * y" in labels and all("\n" not in label and "#" not in label and "\\" not in label
                                     for label in labels)


def test_a_bare_expression_before_the_last_statement_is_named(tmp_path, capsys):
    assert main(["render", "x + 1\ny * 2", "x=1", "y=2", "-o", str(tmp_path / "g.png")]) == 2
    error = capsys.readouterr().err
    assert "'x + 1' is an expression before the last statement" in error and "name it" in error
    assert not (tmp_path / "g.png").exists()


def test_group_depth_and_empty_options_are_usage_errors(tmp_path, capsys):
    source = "with A: a = x * 2\nb = a + 1"
    for bad, words in [(["--group", "0"], "--group depth must be at least 1"),
                       (["--group", ""], "--group needs the name of a `with NAME:` block"),
                       (["-o", ""], "-o needs a file name, got an empty one")]:
        argv = ["render", source, "x=1", "-o", str(tmp_path / "g.png"), *bad]
        assert main(argv) == 2
        error = capsys.readouterr().err
        assert error.startswith("backprop-lab: error: ") and words in error and "unexpected" not in error
    assert main(["render", source, "x=1", "-o", str(tmp_path / "g.dot"), "--group", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "b = 3"

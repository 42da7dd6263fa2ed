"""Both renderers: real PNG/SVG files, the matplotlib fallback without `dot`, determinism."""

from __future__ import annotations

import html
import io
import warnings

import graphviz
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import nn
import viz
from viz import render_dot
from viz.layout import layered_layout
from viz.demo import worked_example

needs_dot = pytest.mark.skipif(
    not render_dot.dot_available(), reason="the `dot` program of graphviz is not installed"
)
ENGINES = [pytest.param("graphviz", marks=needs_dot), "matplotlib"]


def backpropagated():
    f = worked_example()
    f.backward()
    return f


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")


def red_pixels(image: Image.Image) -> int:
    """Pixels of the gradient colour (#b3261e and its anti-aliased neighbours)."""
    a = np.asarray(image).astype(int)
    return int(((a[..., 0] > 140) & (a[..., 1] < 90) & (a[..., 2] < 90)).sum())


@pytest.mark.parametrize("engine", ENGINES)
def test_png_of_the_worked_example_is_a_real_readable_image(engine, tmp_path):
    picture = viz.draw(backpropagated(), direction="backward", engine=engine)
    assert picture.engine == engine
    path = picture.save(tmp_path / "graph.png")
    image = open_png(path.read_bytes())
    width, height = image.size
    assert 800 <= width <= 3000 and 250 <= height <= 1200, image.size  # room for 11pt text at 144 dpi
    pixels = np.asarray(image)
    assert (pixels < 250).any(axis=2).mean() > 0.03  # not blank
    assert red_pixels(image) > 200  # gradients and chain-rule labels are drawn in red
    forward = open_png(viz.draw(worked_example(), engine=engine).render("png"))
    assert red_pixels(forward) < 20  # the forward picture has no gradients


@pytest.mark.parametrize("engine", ENGINES)
def test_svg_keeps_the_numbers_as_text(engine, tmp_path):
    path = viz.draw(backpropagated(), direction="backward", engine=engine).save(tmp_path / "graph.svg")
    svg = html.unescape(path.read_text(encoding="utf-8"))  # graphviz writes - as &#45;
    assert "<svg" in svg
    for text in ("-4 × 1 = -4", "1 × 3 = 3", "grad 1 (seed)", "data -12"):
        assert text in svg


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_dot_and_bad_suffixes(engine, tmp_path):
    picture = viz.draw(worked_example(), engine=engine)
    assert picture.save(tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    assert picture.save(tmp_path / "g.dot").read_text(encoding="utf-8") == picture.to_dot()
    with pytest.raises(ValueError, match=r"\.png, \.svg"):
        picture.save(tmp_path / "g.jpg")
    with pytest.raises(ValueError, match="format"):
        picture.render("gif")


def test_without_dot_auto_uses_matplotlib(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot`
    assert not render_dot.dot_available()
    picture = viz.draw(backpropagated(), direction="backward")
    assert picture.engine == "matplotlib"
    image = open_png(picture.save(tmp_path / "fallback.png").read_bytes())
    assert image.size[0] > 800 and red_pixels(image) > 200
    bundle = picture._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"} and bundle["image/png"].startswith(b"\x89PNG")
    assert "-4 × 1 = -4" in picture.to_dot()  # DOT text needs no `dot`
    stepper = viz.BackpropStepper(backpropagated())
    stepper.save_gif(tmp_path / "steps.gif")
    assert Image.open(tmp_path / "steps.gif").n_frames == 3
    with pytest.raises(RuntimeError, match="engine='matplotlib'"):
        viz.draw(worked_example(), engine="graphviz")


@needs_dot
def test_auto_falls_back_to_matplotlib_when_dot_fails(monkeypatch):
    def broken(scene, fmt, dpi=144):
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(render_dot, "render", broken)
    picture = viz.draw(worked_example())
    assert picture.engine == "graphviz"
    with pytest.warns(UserWarning, match="using matplotlib"):
        bundle = picture._repr_mimebundle_()
    assert picture.engine == "matplotlib"
    assert "<svg" in bundle["image/svg+xml"]  # drawn by matplotlib instead, no error
    explicit = viz.draw(worked_example(), engine="graphviz")
    with pytest.raises(graphviz.ExecutableNotFound):
        explicit.render("png")


@needs_dot
def test_jupyter_bundle_from_graphviz_is_svg():
    bundle = viz.draw(backpropagated(), direction="backward")._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert "-4 × 1 = -4" in html.unescape(bundle["image/svg+xml"])
    assert "7 boxes" in bundle["text/plain"]


def test_unknown_engine_is_rejected():
    with pytest.raises(ValueError, match="engine"):
        viz.draw(worked_example(), engine="tikz")


def test_rendering_is_deterministic():
    first = viz.draw(backpropagated(), direction="backward", engine="matplotlib")
    second = viz.draw(backpropagated(), direction="backward", engine="matplotlib")
    assert first.to_dot() == second.to_dot()
    assert first.render("png") == second.render("png")


def test_figure_is_a_matplotlib_figure():
    fig = viz.draw(worked_example()).figure()
    assert isinstance(fig, Figure)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"x", "data -2", "q", "data 3", "+", "#1", "#2"} <= texts


def test_layered_layout_of_the_worked_example():
    picture = viz.draw(worked_example())
    keys = [box.key for box in picture.scene.boxes]
    index = {k: i for i, k in enumerate(keys)}
    edges = [(index[a.tail], index[a.head]) for a in picture.scene.arrows]
    centres, routes = layered_layout([(60.0, 40.0)] * len(keys), edges)
    x = {box.lines[0].text: centres[index[box.key]][0] for box in picture.scene.boxes}
    assert x["x"] == x["y"] < x["+"] < x["q"] == x["z"] < x["*"] < x["f"]  # z sits next to q, not far left
    assert routes == [[]] * len(edges)  # every edge joins neighbouring layers
    assert (centres, routes) == layered_layout([(60.0, 40.0)] * len(keys), edges)
    with pytest.raises(ValueError, match="cycle"):
        layered_layout([(1.0, 1.0)] * 2, [(0, 1), (1, 0)])


def test_layout_keeps_boxes_apart_and_orders_layers():
    sizes = [(50.0, 30.0)] * 6
    edges = [(0, 2), (1, 2), (2, 3), (2, 4), (3, 5), (4, 5)]
    centres, _ = layered_layout(sizes, edges)
    for tail, head in edges:
        assert centres[tail][0] < centres[head][0]
    ys = sorted(c[1] for c in (centres[3], centres[4]))
    assert ys[1] - ys[0] >= 30.0  # same layer: stacked without overlap


def test_a_long_edge_gets_a_lane_of_its_own():
    # 0 -> 1 -> 2 -> 3 and a shortcut 0 -> 3 that skips layers 1 and 2
    sizes = [(50.0, 30.0)] * 4
    centres, routes = layered_layout(sizes, [(0, 1), (1, 2), (2, 3), (0, 3)])
    assert routes[:3] == [[], [], []]
    assert [x for x, _ in routes[3]] == [centres[1][0], centres[2][0]]  # a waypoint in each layer crossed
    for (_, y), box in zip(routes[3], (1, 2)):
        assert abs(y - centres[box][1]) >= 15.0 + 5.0  # beside the box, not through it


def test_grouped_mlp_renders_with_matplotlib(tmp_path):
    model = nn.MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.5])
    out.backward()
    image = open_png(viz.draw(out, direction="backward", group="Layer", engine="matplotlib").render("png"))
    assert 300 <= image.size[0] <= 4000 and 100 <= image.size[1] <= 4000


def test_repr_names_the_engine():
    picture = viz.draw(worked_example(), engine="matplotlib")
    assert repr(picture) == "<GraphPicture: 7 boxes, 6 arrows, 5 graph nodes, engine='matplotlib'>"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        picture._repr_mimebundle_()


@needs_dot
def test_a_leaf_read_all_along_a_long_chain_is_drawn_from_viz_layout(monkeypatch):
    # x + x + ... + x: x feeds every op, so its arrows skip 2, 4, ..., 98 layers; with their chain-rule
    # labels dot took 30-120 s to lay the 50 terms out (h = tanh(h * x + x), 25 times: over 90 s)
    from autodiff import Value
    from viz.placement import DOT_SKIPPED_LAYERS, too_slow_for_dot

    x = Value(1.0, label="x")
    f = x
    for _ in range(49):
        f = f + x
    f.backward()
    picture = viz.draw(f, direction="backward")
    assert too_slow_for_dot([picture.scene]) and not too_slow_for_dot([viz.draw(f).scene])  # unlabelled
    assert not too_slow_for_dot([viz.draw(backpropagated(), direction="backward").scene])
    mlp = nn.MLP(2, [4, 4, 1], rng=np.random.default_rng(0))([Value(1.0), Value(-1.0)])
    mlp.backward()
    assert not too_slow_for_dot([viz.draw(mlp, direction="backward").scene])  # dot still lays these out

    def no_dot_layout(*args, **kwargs):
        raise AssertionError("dot was asked to lay out a graph it takes minutes on")

    monkeypatch.setattr(render_dot, "render", no_dot_layout)
    svg = picture.render("svg").decode()
    assert picture.engine == "graphviz" and "grad 50 (sum of 50)" in svg
    assert svg.count("1 × 1 = 1") == 98 and svg.count("data 50") == 1  # 49 ops, 2 edges each
    engines = []
    real_place = viz.stepper.place
    monkeypatch.setattr(viz.stepper, "place",
                        lambda scenes, engine: engines.append(engine) or real_place(scenes, engine))
    stepper = viz.BackpropStepper(f)
    frame = stepper.render(len(stepper) - 1).render("svg").decode()
    assert engines == ["matplotlib"] and "grad 50 (sum of 50)" in frame
    assert DOT_SKIPPED_LAYERS < sum(range(1, 99, 2))


def test_a_png_too_big_for_its_text_is_refused_saying_svg(monkeypatch, tmp_path, capsys):
    # a PNG's longest side is capped at render_mpl.MAX_PIXELS (16,000): a 2,100-op chain drawn backward
    # (300,000 points wide) went below 4 dpi, where FreeType fails ("invalid ppem value") and the CLI
    # said "unexpected RuntimeError"; here the cap is lowered so the worked example meets it
    from viz import render_mpl, style
    from viz.cli import main

    picture = viz.draw(backpropagated(), direction="backward", engine="matplotlib")
    inches = max(picture.figure().get_size_inches())
    one_pixel_text = 72 / style.EDGE_FONT_SIZE  # the dpi at which the arrows' text is a pixel high
    monkeypatch.setattr(render_mpl, "MAX_PIXELS", int(inches * one_pixel_text * 0.9))
    with pytest.raises(viz.GraphTooLargeError, match=r"under a pixel high. Save it as \.svg or \.pdf"):
        picture.render("png")
    assert "grad -4" in picture.render("svg").decode() and picture.render("pdf").startswith(b"%PDF")
    out = tmp_path / "g.png"
    assert main(["render", "(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(out), "--direction", "backward",
                 "--engine", "matplotlib"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("backprop-lab: error: this picture is") and "--group" in error and not out.exists()
    monkeypatch.setattr(render_mpl, "MAX_PIXELS", int(inches * one_pixel_text * 1.1) + 1)
    assert open_png(picture.render("png")).size[0] <= render_mpl.MAX_PIXELS  # text a pixel high: drawn


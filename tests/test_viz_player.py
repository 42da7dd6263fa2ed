"""The step-through player in a real browser (headless Chromium through selenium), and the one layout.

The browser tests need Chromium and its driver (Debian: `apt-get install chromium
chromium-driver`, which `.ci/run` does) and selenium (the dev extra); they skip, saying
what is missing, only where no browser can be found.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nn
import viz
from autodiff import Value
from viz import render_dot
from viz.demo import worked_example
from viz.render_svg import arrow_state, box_state
from browsing import open_exported_notebook, script_errors, wait_for

ROOT = Path(__file__).resolve().parent.parent
ENGINES = [
    pytest.param("graphviz", marks=pytest.mark.skipif(not render_dot.dot_available(), reason="no `dot` (graphviz)")),
    "matplotlib",
]


def accumulation():
    x = Value(2.0, label="x")
    y = x * 3 + x.tanh()
    y.label = "y"
    return y


# -- one layout for every frame (no browser needed) ------------------------------------


def changed_region(stepper, k: int, scale: float, height_px: int) -> np.ndarray:
    """A mask of the pixels frame k may change against frame k-1: the caption band, and the
    boxes and arrows whose look changed (with a few pixels' margin)."""
    placement = stepper.placement()
    before, after = stepper.scene(k - 1), stepper.scene(k)
    width, _ = placement.canvas(True)
    mask = np.zeros((height_px, int(round(width * scale)) + 2), dtype=bool)
    mask[: int((placement.canvas(True)[1] - placement.graph_height) * scale) + 4, :] = True  # caption band

    def allow(x0, y0, x1, y1, pad=6):
        r0, r1 = int(height_px - y1 * scale) - pad, int(height_px - y0 * scale) + pad
        c0, c1 = int(x0 * scale) - pad, int(x1 * scale) + pad
        mask[max(r0, 0):max(r1, 0), max(c0, 0):max(c1, 0)] = True

    for old, new in zip(before.boxes, after.boxes):
        if box_state(old) != box_state(new):
            (x, y), (w, h) = placement.centres[new.key], placement.sizes[new.key]
            allow(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
    for old, new, route in zip(before.arrows, after.arrows, placement.routes):
        if arrow_state(old) != arrow_state(new):
            xs = [p[0] for p in route.points] + [route.label_at[0] - 60, route.label_at[0] + 60]
            ys = [p[1] for p in route.points] + [route.label_at[1] - 10, route.label_at[1] + 10]
            allow(min(xs), min(ys), max(xs), max(ys))
    return mask


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("make", [worked_example, accumulation], ids=["worked_example", "accumulation"])
def test_frames_share_one_layout_and_differ_only_where_the_step_acted(engine, make):
    stepper = viz.BackpropStepper(make(), engine=engine)
    placement = stepper.placement()
    # the boxes fit the widest text any frame shows: "grad: not computed yet" at frame 0
    widest = {box.key: max(len(line.text) for line in box.lines) for box in stepper.scene(0).boxes}
    assert all(placement.sizes[key][0] > 6.0 * widest[key] for key in widest if key.startswith("v"))
    images = [np.asarray(Image.open(io.BytesIO(stepper.render(k).render("png"))).convert("L")).astype(int)
              for k in range(len(stepper))]
    assert len({image.shape for image in images}) == 1  # one size: nothing is padded, nothing moves
    height_px, width_px = images[0].shape
    scale = width_px / placement.canvas(True)[0]
    for k in range(1, len(stepper)):
        differs = np.abs(images[k] - images[k - 1]) > 40
        assert differs.sum() > 50  # the step shows
        allowed = changed_region(stepper, k, scale, height_px)[:, :width_px]
        stray = differs & ~allowed
        assert stray.sum() == 0, f"frame {k}: {stray.sum()} pixels changed outside the boxes and arrows the step touched"


def test_the_player_of_a_three_layer_mlp_is_small_and_steps_every_node():
    model = nn.MLP(2, [4, 4, 1], seed=0)
    stepper = viz.BackpropStepper(model([0.5, -1.5]))
    page = stepper.to_html()
    assert len(stepper) == 65 and len(page.encode()) < 2_000_000
    assert page.count("<svg") == 1 and "data:image" not in page


def test_a_gif_frame_is_rendered_at_a_sane_size(tmp_path):
    """A 60-variable product (a long chain): frames a few thousand pixels at most (once 16,000 wide)."""
    terms = [Value(1.0 + i / 100, label=f"x{i}") for i in range(60)]
    product = terms[0]
    for term in terms[1:]:
        product = product * term
    stepper = viz.BackpropStepper(product)  # graphviz where installed: 15 frames/s, matplotlib 1/s
    path = stepper.save_gif(tmp_path / "chain.gif", seconds_per_frame=0.2)
    gif = Image.open(path)
    assert gif.n_frames == len(stepper) == 60
    assert max(gif.size) <= 4000 and gif.size[0] * gif.size[1] <= 2400 * 1600  # not 16,000 px wide


# -- the browser ---------------------------------------------------------------------------


def player_state(driver, prefix: str) -> dict:
    return driver.execute_script(
        """var p = document.getElementById(arguments[0]);
        return {frame: p.getAttribute('data-frame'), ready: p.getAttribute('data-ready'),
                caption: document.getElementById(arguments[0] + '-cap').textContent,
                current: Array.from(p.querySelectorAll('.bp-box.bp-current')).map(function (g) { return g.id; }),
                q: Array.from(p.querySelectorAll('#' + arguments[0] + '-v2 tspan')).map(function (t) { return t.textContent; })};""",
        prefix,
    )


def test_the_player_steps_in_a_browser(browser, tmp_path):
    first = viz.BackpropStepper(worked_example())
    second = viz.BackpropStepper(accumulation())
    page = tmp_path / "players.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                    + first.to_html(seconds_per_frame=0.1) + second.to_html() + "</body></html>", encoding="utf-8")
    browser.get(page.as_uri())
    prefixes = browser.execute_script(
        "return Array.from(document.querySelectorAll('.bp-player')).map(function (p) { return p.id; });")
    assert len(prefixes) == 2 and prefixes[0] != prefixes[1]
    a, b = prefixes
    start = player_state(browser, a)
    assert start["ready"] == "1" and start["frame"] == "0"
    assert start["caption"] == first.caption(0) and start["current"] == [f"{a}-op4", f"{a}-v4"]
    assert start["q"] == ["q", "data 3", "grad: not computed yet"]
    other = player_state(browser, b)

    browser.find_element("id", f"{a}-next").click()
    one = player_state(browser, a)
    assert one["frame"] == "1" and one["caption"] == first.caption(1)
    assert one["current"] == [f"{a}-op4", f"{a}-v4"]  # step 1 is at f, as frame 0's seed
    assert one["q"] == ["q", "data 3", "grad -4"]  # q received 1 x -4
    browser.find_element("id", f"{a}-next").click()
    two = player_state(browser, a)
    assert two["caption"] == first.caption(2) and two["current"] == [f"{a}-op2", f"{a}-v2"]  # now at q
    edge_label = browser.execute_script(
        "return document.querySelector('#' + arguments[0] + '-e1 .bp-label').textContent;", a)  # x -> +
    assert edge_label == "-4 × 1 = -4"
    assert player_state(browser, b) == other  # the other player on the page did not move

    browser.find_element("id", f"{a}-prev").click()
    assert player_state(browser, a)["frame"] == "1"
    browser.execute_script(  # drag the slider to the start
        "var s = document.getElementById(arguments[0] + '-slider'); s.value = 0;"
        "s.dispatchEvent(new Event('input'));", a)
    assert player_state(browser, a)["caption"] == first.caption(0)
    browser.find_element("id", f"{a}-play").click()
    assert wait_for(lambda: player_state(browser, a)["frame"] == "2")
    browser.find_element("id", f"{b}-next").click()
    browser.find_element("id", f"{b}-next").click()
    assert player_state(browser, b)["caption"] == second.caption(2)
    browser.save_screenshot(str(tmp_path / "players.png"))
    assert script_errors(browser) == []


def test_a_notebook_exported_to_html_keeps_a_working_player(browser, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("nbconvert", reason="nbconvert is missing: pip install -e '.[dev]'")
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import viz\nfrom viz.demo import worked_example\nviz.BackpropStepper(worked_example())"),
    ])
    with pytest.MonkeyPatch.context() as env:  # the kernel imports this checkout
        env.setenv("PYTHONPATH", str(ROOT))
        nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    (output,) = notebook.cells[0].outputs
    assert "text/html" in output["data"]  # the live notebook shows the same player
    prefix = open_exported_notebook(browser, notebook, tmp_path, "bp-player")
    assert prefix, "the player's script did not run in the exported page"
    caption = viz.BackpropStepper(worked_example()).caption(1)
    browser.find_element("id", f"{prefix}-next").click()
    assert player_state(browser, prefix)["caption"] == caption
    assert script_errors(browser) == []


def test_a_player_whose_script_runs_before_it_is_on_the_page_still_starts(browser, tmp_path):
    """Classic Notebook (jQuery) runs an output's scripts before attaching the output."""
    stepper = viz.BackpropStepper(worked_example())
    fragment = json.dumps(stepper.to_html()).replace("</", "<\\/")
    page = tmp_path / "late.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><div id='out'></div><script>"
        f"var holder = document.createElement('div'); holder.innerHTML = {fragment};"
        "var script = holder.querySelector('script'); var code = script.textContent; script.remove();"
        "(0, eval)(code);"
        "setTimeout(function () { document.getElementById('out').appendChild(holder); }, 300);"
        "</script></body></html>", encoding="utf-8")
    browser.get(page.as_uri())
    prefix = wait_for(lambda: browser.execute_script(
        "var p = document.querySelector('.bp-player'); return p && p.getAttribute('data-ready') ? p.id : null;"))
    assert prefix
    browser.find_element("id", f"{prefix}-next").click()
    assert player_state(browser, prefix)["caption"] == stepper.caption(1)
    assert script_errors(browser) == []

"""viz.LiveTraining in Jupyter (one output, replaced in place) and its recorded player in a real browser.

The browser tests use the headless Chromium fixture of tests/conftest.py and skip,
saying what is missing, only where no browser can be found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nn
import optim
import viz
from nn import datasets
from browsing import open_exported_notebook, script_errors, wait_for

ROOT = Path(__file__).resolve().parent.parent

TRAIN = """import nn, optim, viz
from nn import datasets
X, y = datasets.make_moons(40, noise=0.1, rng=0)
y = 2 * y - 1
model = nn.MLP(2, [6, 1], seed=0, fused=True)
live = viz.LiveTraining(model, data=(X, y))
history = nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=5,
                 batch_size=40, callbacks=[live])"""


@pytest.fixture(scope="module")
def executed_notebook():
    nbformat = pytest.importorskip("nbformat", reason="the notebook runner needs the dev extra")
    nbclient = pytest.importorskip("nbclient", reason="the notebook runner needs the dev extra")
    more = ("nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=2, batch_size=40,"
            " callbacks=[live]);")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TRAIN), nbformat.v4.new_code_cell("live"),
                                               nbformat.v4.new_code_cell(more)])
    with pytest.MonkeyPatch.context() as env:  # the kernel imports this checkout
        env.setenv("PYTHONPATH", str(ROOT))
        env.setenv("MPLBACKEND", "Agg")
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    return notebook


def test_in_jupyter_training_shows_one_output_replaced_in_place(executed_notebook):
    training, replay, more = executed_notebook.cells
    # six snapshots (epochs 0-5), five of them drawn while training: still one output, showing the last
    assert len(training.outputs) == 1, [o.output_type for o in training.outputs]
    (output,) = training.outputs
    assert output.output_type == "display_data"
    html = output["data"]["text/html"]
    assert "epoch 5" in html and "epoch 4" not in html and html.count("<svg") == 1
    (shown,) = replay.outputs
    assert "lt-player" in shown["data"]["text/html"]  # `live` at the end of a cell: the recorded player
    # training on in a later cell draws into that cell, once, and leaves the first cell's picture alone
    (later,) = more.outputs
    assert "epoch 7" in later["data"]["text/html"] and "epoch 6" not in later["data"]["text/html"]
    assert training.outputs[0]["data"]["text/html"] == html


def _state(driver, prefix):
    return driver.execute_script(
        """var p = document.getElementById(arguments[0]);
        var header = p.querySelector('svg text');
        var units = Array.from(p.querySelectorAll('svg circle')).filter(function (c) { return c.querySelector('title'); });
        return {frame: p.getAttribute('data-frame'), ready: p.getAttribute('data-ready'),
                slider: document.getElementById(arguments[0] + '-slider').value,
                header: header.textContent,
                fills: units.map(function (c) { return c.getAttribute('fill'); }),
                places: units.map(function (c) { var b = c.getBoundingClientRect(); return [b.x, b.y, b.width]; }),
                boundary: p.querySelector('svg image').getAttribute('href').length};""",
        prefix,
    )


def test_the_recorded_player_plays_in_a_browser(browser, tmp_path):
    X, y01 = datasets.make_moons(60, noise=0.1, rng=0)
    y = 2 * y01 - 1
    model = nn.MLP(2, [8, 8, 1], seed=0, fused=True)
    live = viz.LiveTraining(model, every=2, data=(X, y))
    nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=12, batch_size=60,
           progress=False, callbacks=[live])
    page = live.save(tmp_path / "run.html")
    browser.get(page.as_uri())
    prefix = wait_for(lambda: browser.execute_script(
        "var p = document.querySelector('.lt-player'); return p && p.getAttribute('data-ready') ? p.id : null;"))
    assert prefix, "the player's script did not start"
    start = _state(browser, prefix)
    assert start["frame"] == "0" and start["header"].startswith("epoch 0")
    assert len(start["fills"]) == 2 + 8 + 8 + 1
    browser.find_element("id", f"{prefix}-next").click()
    one = _state(browser, prefix)
    assert one["frame"] == one["slider"] == "1" and one["header"].startswith("epoch 2")
    assert one["fills"] != start["fills"] and one["places"] == start["places"]  # colours change, nothing moves
    # the slider jumps to a snapshot; what it shows is that snapshot's numbers
    browser.execute_script("var s = document.getElementById(arguments[0] + '-slider'); s.value = 4;"
                           "s.dispatchEvent(new Event('input'));", prefix)
    four = _state(browser, prefix)
    snap = live.snapshots[4]
    assert four["header"].startswith(f"epoch {snap.epoch}   ·   step {snap.step}")
    expected = [viz.live_style.diverging(v) for v in np.r_[snap.unit_input, snap.layers[0].unit_activation]]
    dead = np.r_[np.zeros(2, bool), snap.layers[0].dead]
    assert [f for f, d in zip(four["fills"][:10], dead) if not d] == [e for e, d in zip(expected, dead) if not d]
    # play runs to the last snapshot and stops there
    browser.execute_script("var s = document.getElementById(arguments[0] + '-slider'); s.value = 0;"
                           "s.dispatchEvent(new Event('input'));", prefix)
    browser.find_element("id", f"{prefix}-play").click()
    seen = set()

    def reached_the_end():
        seen.add(_state(browser, prefix)["frame"])
        return "6" in seen

    assert wait_for(reached_the_end, seconds=15)
    last = _state(browser, prefix)
    assert last["header"].startswith("epoch 12") and last["slider"] == "6" and len(seen) >= 3
    assert last["places"] == start["places"] and last["boundary"] > 100
    browser.save_screenshot(str(tmp_path / "player.png"))
    assert script_errors(browser) == []


def test_the_player_survives_a_notebook_exported_to_html(executed_notebook, browser, tmp_path):
    pytest.importorskip("nbconvert", reason="nbconvert is missing: pip install -e '.[dev]'")
    prefix = open_exported_notebook(browser, executed_notebook, tmp_path, "lt-player")
    assert prefix, "the player's script did not run in the exported page"
    browser.find_element("id", f"{prefix}-next").click()
    assert _state(browser, prefix)["header"].startswith("epoch 1")
    browser.find_element("id", f"{prefix}-play").click()
    assert wait_for(lambda: _state(browser, prefix)["frame"] == "5", seconds=10)
    assert _state(browser, prefix)["header"].startswith("epoch 5")
    assert script_errors(browser) == []

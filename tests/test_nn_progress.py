"""Where nn's progress bars go: a terminal gets tqdm's bar, a live notebook its widget, and a
log file or a notebook run by nbclient (what nbconvert and the test suite use) gets none;
``import nn`` prints nothing, even in a kernel without ipywidgets."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

from nn import progress

ROOT = Path(__file__).resolve().parent.parent


class Terminal:
    def isatty(self):
        return True


class Log:
    def isatty(self):
        return False


def fake_kernel(monkeypatch):
    """An IPython whose get_ipython() is a kernel's shell (it has a .kernel)."""
    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))


def test_a_terminal_gets_the_text_bar_and_a_log_none(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("VSCODE_PID", raising=False)
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert progress.where_bars_go() == "terminal"
    monkeypatch.setattr(sys, "stderr", Log())
    assert progress.where_bars_go() is None
    assert isinstance(progress.progress_bar(True, total=3), progress._NoBar)


def test_a_kernel_gets_the_widget_only_with_a_live_frontend_and_ipywidgets(monkeypatch):
    pytest.importorskip("ipywidgets", reason="the widget bar needs ipywidgets (the dev extra)")
    monkeypatch.setattr(sys, "stderr", Log())
    fake_kernel(monkeypatch)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("VSCODE_PID", raising=False)
    assert progress.where_bars_go() is None  # nbclient / nbconvert: no frontend draws widgets
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/me/notebook.ipynb")  # JupyterLab's kernel
    assert progress.where_bars_go() == "widget"
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not installed
    assert progress.where_bars_go() is None


NOTEBOOK_CELLS = [
    # a kernel without ipywidgets, where tqdm.auto warns "IProgress not found" at import
    "import sys\nsys.modules['ipywidgets'] = None\nimport warnings\nwarnings.simplefilter('always')\nimport nn",
    "import numpy as np, optim\n"
    "model = nn.Linear(3, 1, rng=0)\n"
    "X, y = np.ones((10, 3)), np.zeros((10, 1))\n"
    "history = nn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, batch_size=4)\n"
    "print(len(history.iterations['loss']))",
]


def test_a_notebook_run_by_nbclient_shows_no_warning_and_no_bar(monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="the notebook runner needs the dev extra")
    nbclient = pytest.importorskip("nbclient", reason="the notebook runner needs the dev extra")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in NOTEBOOK_CELLS])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = [output for cell in nb.cells for output in cell.outputs]
    stderr = [output.text for output in outputs if output.get("name") == "stderr"]
    assert stderr == []
    assert [output.text for output in outputs if output.get("name") == "stdout"] == ["9\n"]
    assert not [output for output in outputs if output.output_type == "display_data"]  # no widget either

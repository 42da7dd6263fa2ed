"""The progress bars of ``nn.fit``, the MNIST download and ``optim``'s searches: one clean bar
where someone watches, none elsewhere.

Where the bar goes (``where_bars_go``):

- ``"terminal"``: stderr is a terminal (``sys.stderr.isatty()``): tqdm's text bar, redrawn in place.
- ``"widget"``: a live Jupyter notebook: an IPython kernel started by a Jupyter server
  (JupyterLab, Notebook: it sets ``JPY_SESSION_NAME``) or by VS Code (``VSCODE_PID``), with
  ipywidgets installed: tqdm's notebook widget.
- ``None`` otherwise (a script whose stderr goes to a file, a notebook run by nbclient or
  nbconvert, a kernel without ipywidgets): no bar at all, so no log or exported notebook
  fills with half-drawn bar lines.

Nothing is decided, and nothing of tqdm's notebook part is imported, before a bar is made:
``import nn`` prints nothing (``tqdm.auto`` warns "IProgress not found" at import where
ipywidgets is missing).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any


def _in_live_notebook() -> bool:
    """An IPython kernel whose frontend is a Jupyter server or VS Code, and ipywidgets to draw with."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    live_frontend = bool(os.environ.get("JPY_SESSION_NAME") or os.environ.get("VSCODE_PID"))
    return live_frontend and importlib.util.find_spec("ipywidgets") is not None


def where_bars_go() -> str | None:
    """"terminal", "widget" or None (no bar): see the module docstring."""
    stderr = sys.stderr
    try:
        if stderr is not None and stderr.isatty():
            return "terminal"
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        pass
    return "widget" if _in_live_notebook() else None


class _NoBar:
    """What a bar offers ``fit`` and the download, doing nothing."""

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        return None

    def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        return None

    def close(self) -> None:
        return None


def progress_bar(enabled: bool, force: bool = False, **options: Any) -> Any:
    """A tqdm bar (``options`` are tqdm's: total, desc, unit, ...) where ``where_bars_go()``
    says one is seen, else a bar that draws nothing; ``enabled=False`` always gives the latter.
    ``force=True``: a bar even where none would be seen (tqdm's text bar on stderr)."""
    where = where_bars_go() if enabled else None
    if where is None and enabled and force:
        where = "terminal"
    if where == "terminal":
        from tqdm.std import tqdm

        return tqdm(**options)
    if where == "widget":
        from tqdm.notebook import tqdm as notebook_tqdm

        return notebook_tqdm(**options)
    return _NoBar()

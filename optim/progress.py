"""A search's progress bar: one clean bar where someone watches, none elsewhere.

``progress=None`` (the default) shows a bar only in a terminal (stderr is a tty) or in a
Jupyter kernel with ipywidgets (a widget, which writes nothing to stderr); piped output,
CI logs and notebooks without ipywidgets get none, so no stray stderr lines end up in an
exported notebook. ``True`` forces a bar (a widget in Jupyter when it can, text
otherwise), ``False`` switches it off.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any


def in_jupyter() -> bool:
    """True inside a Jupyter kernel (an IPython ZMQ shell)."""
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    return get_ipython is not None and type(get_ipython()).__name__ == "ZMQInteractiveShell"


def has_widgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


def wanted(progress: Any, owner: str) -> bool:
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"{owner}: progress must be True, False or None (automatic), got {progress!r}")
    if progress is not None:
        return progress
    if in_jupyter():
        return has_widgets()
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def progress_bar(total: int, owner: str, progress: Any) -> Any:
    """A tqdm bar over ``total`` trials, or None when none is wanted (see the module)."""
    if not wanted(progress, owner):
        return None
    if in_jupyter() and has_widgets():
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(total=total, desc=owner, unit="trial")


__all__ = ["progress_bar", "wanted", "in_jupyter"]

"""``viz.LiveTraining``: watch a network train, and keep the run for later.

    live = viz.LiveTraining(model, every=1, data=(X, y))
    nn.fit(model, loss_fn, optimizer, (X, y), epochs=100, batch_size=100, callbacks=[live])
    live                       # in Jupyter: the recorded run as a player (kernel-free)
    live.save("run.html")      # or .gif, .png (the last frame), .svg

or from a loop written by hand, after each epoch: ``live.update(model, loss=loss)``.

Every ``every`` epochs it takes a snapshot (``live.snapshots``: the numbers, see
``viz.live_probe``): each layer's weights, biases and gradients as the model holds
them, each unit's activation on the data (the mean over the rows, or one row with
``probe=i``), and, for two input features, the model's scores on a grid. Every epoch
it notes the loss, the validation loss and the learning rate (``live.curves``).

What it draws (``show``): ``"graph"``, the network in one fixed layout, each unit filled
by its activation and outlined by its gradient norm, each edge by its weight, with
histograms of each layer's activations, parameters and gradients beside it; ``"loss"``,
the loss (training and validation) and the learning rate against the step;
``"boundary"``, the decision boundary over the data, for two input features. In a
Jupyter kernel the picture is one output that is replaced in place at each snapshot
(no new output per update); anywhere else nothing is shown or printed.

``nn.fit`` calls it after each epoch with the epoch's record; a second ``fit`` with the
same ``live`` continues its epochs and steps where the first left off. An extra snapshot,
epoch 0, is the model as it was when ``LiveTraining`` was made (``initial=False`` leaves
it out); its gradients are zeros, as no backward pass has run.
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from . import live_render
from .live_frame import LiveLayout, Scales, frame
from .live_probe import Network, Snapshot, boundary_grid, probe_rows, take_snapshot

DEFAULT_SHOW = ("graph", "loss", "boundary")
SHOWABLE = ("graph", "loss", "boundary")
MAX_POINTS_DRAWN = 300
OWNER = "LiveTraining"


class LiveTraining:
    """Record (and, in Jupyter, draw) a network as it trains; see the module docstring.

    ``model``: a scalar ``nn.MLP`` or an ``nn.Sequential`` of ``nn.Linear`` layers and
    activations. ``every``: take a snapshot every this many epochs (a positive int).
    ``data``: ``(X, y)`` or ``X``, the rows the activations are measured on (at most 256 of
    them, evenly spaced) and, with two features, the points of the decision boundary.
    ``show``: what to draw, some of ``"graph"``, ``"loss"``, ``"boundary"``.
    ``probe``: ``"mean"`` (units show their mean activation over the rows) or the index of
    one row of ``X``. ``resolution``: grid points per axis of the decision boundary.
    ``display``: None draws in a Jupyter kernel only, False never, True always (when
    IPython is installed).
    """

    def __init__(self, model: Any, every: int = 1, data: Any = None, show: Sequence[str] = DEFAULT_SHOW, *,
                 probe: str | int = "mean", resolution: int = 40, initial: bool = True,
                 display: bool | None = None) -> None:
        self._network = Network(model, OWNER)
        self.model = model
        self.every = _whole(every, "every", minimum=1)
        self.resolution = _whole(resolution, "resolution", minimum=4, maximum=200)
        explicit = show is not DEFAULT_SHOW
        self.show = _check_show(show)
        if display not in (None, True, False):
            raise TypeError(f"{OWNER}: display must be None, True or False, got {display!r}")
        self._display = display
        X, y = _check_data(data, self._network.in_features)
        self._inputs, probe_index, probe_label = _probe(X, probe)
        self._probe = probe_index
        wants_boundary = "boundary" in self.show
        can_draw = X is not None and X.shape[1] == 2
        if wants_boundary and not can_draw and explicit:
            why = "no data was given" if X is None else f"the data has {X.shape[1]} features"
            raise ValueError(f"{OWNER}: show includes 'boundary', which needs data with 2 features, but {why}")
        if wants_boundary and not can_draw:
            self.show = tuple(s for s in self.show if s != "boundary")
        self._grid = boundary_grid(X, self.resolution) if "boundary" in self.show else None
        points = labels = None
        if self._grid is not None:
            keep = np.linspace(0, len(X) - 1, min(len(X), MAX_POINTS_DRAWN)).round().astype(int)
            points, labels = X[keep], (y[keep] if y is not None else None)
        self._layout = LiveLayout(self._network, self.show, probe_label, points, labels, self._grid)
        self.snapshots: list[Snapshot] = []
        self.curves: dict[str, list] = {"epoch": [], "step": [], "loss": [], "val_loss": [], "lr": []}
        self._offsets = (0, 0)
        self._handle, self._handle_cell = None, None
        if initial:
            self._snapshot(self._network, 0, 0, None, None, None, {})

    # -- recording ------------------------------------------------------------------------

    def update(self, model: Any, loss: Any = None, *, val_loss: Any = None, lr: Any = None,
               epoch: int | None = None, step: int | None = None) -> None:
        """Note one epoch of a hand-written loop (its loss, validation loss and learning rate, each
        a number, a Value or a one-element Tensor, or None) and, every ``every`` epochs, take a
        snapshot of ``model`` (the model ``LiveTraining`` was made for, or one of the same shape).
        ``epoch`` defaults to the last one plus 1, ``step`` (the updates so far) to ``epoch``."""
        network = self._network if model is self.model else self._same_shape(model)
        last = self.curves["epoch"][-1] if self.curves["epoch"] else 0
        epoch = last + 1 if epoch is None else _whole(epoch, "epoch", minimum=0)
        if epoch <= last and self.curves["epoch"]:
            raise ValueError(f"{OWNER}: epoch must grow from one update to the next: got {epoch} after {last}")
        step = epoch if step is None else _whole(step, "step", minimum=0)
        self._note(network, epoch, step, _number(loss, "loss"), _number(val_loss, "val_loss"), _number(lr, "lr"), {})

    def __call__(self, record: Mapping[str, Any]) -> None:
        """The ``nn.fit`` callback: note the epoch's record (``epoch``, ``loss``, ``val_loss``, ``lr``,
        ``iterations``, and any metric) and snapshot the model every ``every`` epochs."""
        if not isinstance(record, Mapping) or "epoch" not in record:
            raise TypeError(f"{OWNER}: as a callback it takes nn.fit's epoch record (a dict with 'epoch'), "
                            f"got {type(record).__name__}; in a loop of your own call live.update(model, loss=...)")
        epoch_offset, step_offset = self._offsets
        last_epoch = self.curves["epoch"][-1] if self.curves["epoch"] else 0
        last_step = self.curves["step"][-1] if self.curves["step"] else 0
        epoch = _whole(record["epoch"], "record['epoch']", minimum=1) + epoch_offset
        if epoch <= last_epoch:  # a new nn.fit with the same LiveTraining: carry on counting
            epoch_offset, step_offset = last_epoch, last_step
            self._offsets = (epoch_offset, step_offset)
            epoch = record["epoch"] + epoch_offset
        step = record.get("iterations", epoch - epoch_offset) + step_offset
        extra = {key: float(value) for key, value in record.items()
                 if key not in ("epoch", "loss", "val_loss", "lr", "iterations", "seconds")
                 and isinstance(value, numbers.Real) and not isinstance(value, bool)}
        self._note(self._network, epoch, int(step), _number(record.get("loss"), "record['loss']"),
                   _number(record.get("val_loss"), "record['val_loss']"), _number(record.get("lr"), "record['lr']"),
                   extra)
        return None

    def _note(self, network: Network, epoch: int, step: int, loss, val_loss, lr, extra: dict) -> None:
        for key, value in (("epoch", epoch), ("step", step), ("loss", loss), ("val_loss", val_loss), ("lr", lr)):
            self.curves[key].append(value)
        if epoch % self.every == 0:
            self._snapshot(network, epoch, step, loss, val_loss, lr, extra)
            if self._should_display():
                self._show_live()

    def _snapshot(self, network: Network, epoch: int, step: int, loss, val_loss, lr, extra: dict) -> None:
        self.snapshots.append(take_snapshot(network, self._inputs, self._probe, self._grid, epoch, step,
                                            loss, val_loss, lr, extra))

    def _same_shape(self, model: Any) -> Network:
        network = Network(model, OWNER)
        if network.signature() != self._network.signature():
            raise ValueError(f"{OWNER}: model has another shape than the one LiveTraining was made for: "
                             f"{network.signature()} instead of {self._network.signature()}")
        return network

    # -- Jupyter -----------------------------------------------------------------------

    def _should_display(self) -> bool:
        if self._display is not None:
            return self._display
        shell = _shell()
        return shell is not None and getattr(shell, "kernel", None) is not None

    def _show_live(self) -> None:
        """Draw the last snapshot into the running cell's one output: made at the cell's first snapshot,
        replaced in place after (a later cell that trains on gets an output of its own)."""
        try:
            from IPython.display import HTML, display
        except ImportError:
            return
        content = HTML(self.live_svg())
        shell = _shell()
        cell = getattr(shell, "execution_count", None)
        if self._handle is None or self._handle_cell != cell:
            self._handle, self._handle_cell = display(content, display_id=True), cell
        else:
            self._handle.update(content)

    def live_svg(self) -> str:
        """The last snapshot as SVG, the curves' axes fitted to the run so far (what Jupyter shows live)."""
        elements = frame(self._layout, self.snapshots[-1], self.snapshots[0], self.curves, Scales.of(self.curves))
        return live_render.svg(elements, self._layout.width, self._layout.height)

    def _repr_html_(self) -> str:
        if not self.snapshots:
            return "<p>LiveTraining: nothing recorded yet</p>"
        return self.to_html()

    # -- the recorded run --------------------------------------------------------------

    def frames(self) -> list[list]:
        """Every snapshot's drawing elements (``viz.live_frame``), the curves' axes fitted to the whole run."""
        return [self.frame(k) for k in range(len(self._recorded()))]

    def frame(self, k: int = -1) -> list:
        """Snapshot ``k``'s drawing elements, the curves' axes fitted to the whole run."""
        snapshots = self._recorded()
        k = _whole(k, "k", minimum=-len(snapshots), maximum=len(snapshots) - 1)
        return frame(self._layout, snapshots[k], snapshots[0], self.curves, Scales.of(self.curves))

    def _recorded(self) -> list[Snapshot]:
        if not self.snapshots:
            raise ValueError(f"{OWNER}: nothing recorded yet: train first (nn.fit(..., callbacks=[live]))")
        return self.snapshots

    def to_html(self, seconds_per_frame: float = 0.4) -> str:
        """The whole run as one self-contained HTML fragment: the picture, previous / play / next and a
        slider over the snapshots; no kernel, nothing fetched, so it survives a notebook's export."""
        seconds = _positive_number(seconds_per_frame, "seconds_per_frame")
        return live_render.player_html(self.frames(), self._layout.width, self._layout.height,
                                       [s.epoch for s in self.snapshots], seconds)

    def render(self, k: int = -1, fmt: str = "png", scale: float = 1.0) -> bytes | str:
        """Snapshot ``k`` (default the last) as PNG bytes or SVG text."""
        if fmt == "svg":
            return live_render.svg(self.frame(k), self._layout.width, self._layout.height)
        if fmt == "png":
            return live_render.png(self.frame(k), self._layout.width, self._layout.height,
                                   _positive_number(scale, "scale"))
        raise ValueError(f"{OWNER}: fmt must be 'png' or 'svg', got {fmt!r}")

    def save_gif(self, path: str | Path, seconds_per_frame: float = 0.25) -> Path:
        """Every snapshot as one frame of a looping GIF at ``path``."""
        path = _writable(path)
        return live_render.save_gif(self.frames(), self._layout.width, self._layout.height, path,
                                    _positive_number(seconds_per_frame, "seconds_per_frame"))

    def save(self, path: str | Path) -> Path:
        """Write the run by the file's suffix: ``.html`` (the player, as a page), ``.gif`` (every
        snapshot), ``.png`` or ``.svg`` (the last snapshot)."""
        path = _writable(path)
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            path.write_text(live_render.page(self.to_html()), encoding="utf-8")
        elif suffix == ".gif":
            self.save_gif(path)
        elif suffix == ".png":
            path.write_bytes(self.render(-1, "png"))
        elif suffix == ".svg":
            path.write_text(self.render(-1, "svg"), encoding="utf-8")
        else:
            raise ValueError(f"{OWNER}: path must end in .html, .gif, .png or .svg, got {str(path)!r}")
        return path

    def __repr__(self) -> str:
        return (f"LiveTraining({len(self.snapshots)} snapshots, every={self.every}, "
                f"show={self.show!r}, epochs noted: {len(self.curves['epoch'])})")


def _shell() -> Any:
    """The running IPython shell, or None (IPython is never imported here)."""
    import sys

    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None


# -- checking what was given -----------------------------------------------------------------


def _whole(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{OWNER}: {name} must be an int, got {type(value).__name__} {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{OWNER}: {name} must be an int {bounds}, got {value!r}")
    return int(value)


def _positive_number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{OWNER}: {name} must be a positive number, got {value!r}")
    return float(value)


def _number(value: Any, name: str) -> float | None:
    """A reported number: None, a real number, a Value, or a Tensor with one element."""
    if value is None:
        return None
    if hasattr(value, "parents") and hasattr(value, "data"):  # a graph node
        data = np.asarray(value.data)
        if data.size != 1:
            raise TypeError(f"{OWNER}: {name} must be one number, got a node of shape {data.shape}")
        return float(data.reshape(()))
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{OWNER}: {name} must be a number (or a Value, or a one-element Tensor), "
                        f"got {type(value).__name__}")
    return float(value)


def _check_show(show: Any) -> tuple[str, ...]:
    if isinstance(show, str):
        raise TypeError(f"{OWNER}: show must be a list of names, e.g. show=({show!r},)")
    try:
        entries = tuple(show)
    except TypeError:
        raise TypeError(f"{OWNER}: show must be a list of names from {SHOWABLE}, got {type(show).__name__}") from None
    for entry in entries:
        if not isinstance(entry, str):
            raise TypeError(f"{OWNER}: show holds a {type(entry).__name__}; name some of {SHOWABLE}")
        if entry not in SHOWABLE:
            raise ValueError(f"{OWNER}: show has an unknown entry {entry!r}; choose from {SHOWABLE}")
    if not entries:
        raise ValueError(f"{OWNER}: show is empty; name at least one of {SHOWABLE}")
    return tuple(dict.fromkeys(entries))


def _array(value: Any) -> np.ndarray:
    return np.asarray(value.data if hasattr(value, "parents") else value)


def _check_data(data: Any, in_features: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(X, y)`` as arrays: X of shape (N, in_features), y of N labels (or None)."""
    if data is None:
        return None, None
    X, y = data if isinstance(data, tuple) and len(data) == 2 else (data, None)
    try:
        X = _array(X).astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{OWNER}: data's X must be an array of numbers of shape (N, {in_features})") from None
    if X.ndim != 2 or X.shape[1] != in_features or len(X) == 0:
        raise ValueError(f"{OWNER}: data's X must have shape (N, {in_features}) for a model with {in_features} "
                         f"inputs, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{OWNER}: data's X holds NaN or infinite values")
    if y is not None:
        y = _array(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"{OWNER}: data's y must hold one label per row of X ({len(X)}), got shape {y.shape}")
    return X, y


def _probe(X: np.ndarray | None, probe: Any) -> tuple[np.ndarray | None, str | int, str]:
    """The probe rows, the probe as ``take_snapshot`` takes it, and how the picture names it."""
    if isinstance(probe, str):
        if probe != "mean":
            raise ValueError(f"{OWNER}: probe must be 'mean' or a row index of data's X, got {probe!r}")
    elif isinstance(probe, bool) or not isinstance(probe, numbers.Integral):
        raise TypeError(f"{OWNER}: probe must be 'mean' or a row index (an int), got {type(probe).__name__}")
    if X is None:
        if probe != "mean":
            raise ValueError(f"{OWNER}: probe={probe} picks a row of data, but no data was given")
        return None, "mean", "no data: give data=(X, y) to see activations"
    rows = probe_rows(len(X))
    if probe == "mean":
        return X[rows], "mean", f"mean over {len(rows)} rows"
    if not -len(X) <= probe < len(X):
        raise ValueError(f"{OWNER}: probe={probe} is not a row of data's X ({len(X)} rows)")
    row = int(probe) % len(X)
    if row not in rows:
        rows[np.abs(rows - row).argmin()] = row
        rows = np.sort(rows)
    return X[rows], int(np.searchsorted(rows, row)), f"row {row}"


def _writable(path: Any) -> Path:
    if not isinstance(path, (str, Path)):
        raise TypeError(f"{OWNER}: path must be a str or a Path, got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{OWNER}: path {str(path)!r} is a folder; give a file name")
    if not path.parent.is_dir():
        raise ValueError(f"{OWNER}: path's folder {str(path.parent)!r} does not exist")
    return path

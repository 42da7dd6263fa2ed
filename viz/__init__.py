"""viz: see the graph, forward and backward, and step through backprop.

- :func:`draw` -> a :class:`GraphPicture` (``save``, ``to_dot``, shows itself in Jupyter);
  :func:`to_networkx` -> a ``networkx.DiGraph`` with the numbers as attributes.
- :class:`BackpropStepper`: the backward (or forward) pass one step at a time, as
  pictures, a GIF, an HTML animation or a Jupyter widget.
- Exercise mode: ``draw(root, hide="grad")`` and :func:`check_gradients`; practice graphs
  with feedback per edge: :class:`Exercise` (``Exercise.random(seed)``,
  ``Exercise.from_expression(...)``, ``ex.check(answers)`` -> an :class:`ExerciseReport`).
- :class:`LiveTraining`: watch a network train (an ``nn.fit`` callback or ``live.update(model,
  loss=...)``): the network, its activations, gradients and weights, the curves and the decision
  boundary, live in Jupyter; ``live.snapshots``, ``live.to_html()``, ``live.save_gif(path)``.
- :mod:`viz.plots`: training curves, schedules, trajectories, histograms, decision
  boundaries, EMAs (each returns a matplotlib Figure).
- The ``backprop-lab`` command line: :mod:`viz.cli`.

Renderers: graphviz when the ``dot`` program is on PATH, else matplotlib (no system
program needed); both draw the same scene (:mod:`viz.scene`).
"""

from . import plots
from .exercise import (
    Answer,
    EdgeStep,
    Exercise,
    ExerciseError,
    ExerciseReport,
    GradientReport,
    Mark,
    check_gradients,
)
from .graph import to_networkx
from .live import LiveTraining
from .picture import DEFAULT_MAX_NODES, GraphPicture, draw
from .plots import (
    ema,
    plot_activation_histograms,
    plot_decision_boundary,
    plot_ema,
    plot_history,
    plot_schedule,
    plot_trajectories,
)
from .scene import GraphTooLargeError
from .stepper import BackpropStepper
from .trace import BackwardTrace

__all__ = [
    "draw",
    "GraphPicture",
    "to_networkx",
    "BackpropStepper",
    "BackwardTrace",
    "LiveTraining",
    "check_gradients",
    "Exercise",
    "ExerciseReport",
    "ExerciseError",
    "Mark",
    "EdgeStep",
    "GradientReport",
    "Answer",
    "GraphTooLargeError",
    "DEFAULT_MAX_NODES",
    "plots",
    "plot_history",
    "plot_schedule",
    "plot_trajectories",
    "plot_activation_histograms",
    "plot_decision_boundary",
    "plot_ema",
    "ema",
]

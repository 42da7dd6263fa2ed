"""nn: modules built on autodiff.

- ``Module`` (parameters, buffers, state dicts and ``.npz`` files, train/eval, repr),
  shared by both engines.
- The scalar engine: ``Neuron``, ``Layer``, ``MLP`` on Values (micrograd's).
- The tensor engine: ``Linear``, ``Sequential``, the activations, ``Dropout``,
  ``DropConnect``, ``BatchNorm1d``, and the loss modules.
- ``nn.functional``: the losses as functions, and the L1/L2 penalties (also here).
- ``nn.init``: weight initializers.
- ``nn.data`` (batches, splits, K-fold, early stopping), ``nn.datasets`` (toy problems,
  the digits, MNIST) and ``nn.metrics`` (accuracy to ROC/PR curves).
- ``fit``, ``evaluate``, ``predict`` and the ``History`` of a run (``nn.training``).
- ``manual_seed(n)``: reseed the global generator every ``rng=None`` draws from (seed 0
  at import), so every draw is seeded.
"""

from . import data, datasets, functional, init, metrics
from .activations import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .batchnorm import BatchNorm1d
from .container import Sequential
from .dropout import DropConnect, Dropout
from .linear import Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, MSELoss, MultiMarginLoss
from .module import Module, is_parameter
from .regularization import l1_penalty, l2_penalty
from .rng import manual_seed
from .scalar_layers import MLP, Layer, Neuron
from .state import StateDictError
from .training import History, evaluate, fit, predict

__all__ = [
    "Module",
    "is_parameter",
    "StateDictError",
    "Neuron",
    "Layer",
    "MLP",
    "Linear",
    "Sequential",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "SiLU",
    "Softmax",
    "Dropout",
    "DropConnect",
    "BatchNorm1d",
    "MSELoss",
    "CrossEntropyLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "HingeLoss",
    "MultiMarginLoss",
    "l1_penalty",
    "l2_penalty",
    "manual_seed",
    "functional",
    "init",
    "data",
    "datasets",
    "metrics",
    "fit",
    "evaluate",
    "predict",
    "History",
]

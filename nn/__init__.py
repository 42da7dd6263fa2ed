"""nn: modules built on autodiff: the scalar MLP now, tensor layers, losses and training later."""

from .module import Module, is_parameter
from .scalar_layers import MLP, Layer, Neuron

__all__ = ["Module", "is_parameter", "Neuron", "Layer", "MLP"]

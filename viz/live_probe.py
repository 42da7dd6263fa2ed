"""What ``viz.LiveTraining`` records: a network's numbers at one moment of training.

A network is read as a stack of fully connected layers, each z = x·W + b followed by its
activation a = act(z) (the slides' Z = X·W + B, W of shape (inputs, units)):

- the scalar ``nn.MLP`` (micrograd's): layer ``layers.i`` has one unit per ``Neuron``,
  W[i, j] the i-th weight of neuron j, act the neuron's activation;
- a Tensor ``nn.Sequential`` of ``nn.Linear`` layers and parameter-free modules between
  them (activations, ``Dropout``), or one ``nn.Linear``: a layer is a ``Linear`` and the
  modules after it, up to the next ``Linear``.

A ``Snapshot`` holds, per layer, the weights and biases and their gradients as the model
holds them (copies), the activations on the probe rows (a forward pass in evaluation
mode, without a graph), and what the pictures summarise: each unit's activation (the
mean over the rows, or one chosen row), each unit's gradient norm
‖(∂L/∂W[:, j], ∂L/∂b_j)‖, dead units (activation 0 on every row), saturated ones (a
sigmoid or tanh within 0.01 of its bounds), and histograms of the activations, the
parameters and the gradients. Plus, for two input features, the model's scores on a grid
(the decision boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autodiff import Tensor, no_grad

HISTOGRAM_BINS = 20
MAX_PROBE_ROWS = 256  # activations are measured on at most this many rows of the data
SATURATION_MARGIN = 0.01  # a sigmoid below 0.01 or above 0.99 (tanh beyond ±0.99) is saturated
BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # activations with a range to saturate in


@dataclass(frozen=True)
class Histogram:
    """``counts[i]`` values fell in [edges[i], edges[i+1]) (the last bin closed); ``counts.sum()`` is
    the number of values."""

    counts: np.ndarray
    edges: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, bounds: tuple[float, float] | None = None) -> "Histogram":
        """The histogram of ``values`` in ``HISTOGRAM_BINS`` bins over ``bounds`` (default: symmetric
        about 0, ±max|value|; a range narrower than rounding becomes ±0.5 around its value). Values that are not
        finite are left out."""
        values = np.asarray(values, dtype=float).ravel()
        values = values[np.isfinite(values)]
        if bounds is None:
            top = float(np.abs(values).max()) if values.size else 0.0
            bounds = (-top, top)
        low, high = bounds
        if not high - low > 1e-9 * max(1.0, abs(low), abs(high)):  # one value (up to rounding): one bar
            low, high = low - 0.5, high + 0.5
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(low, high))
        return cls(counts, edges)


@dataclass
class LayerSnapshot:
    """One layer's numbers (see the module docstring). ``activations`` has one row per probe row
    and one column per unit; ``bias`` and ``bias_grad`` are None for a layer without bias."""

    name: str
    activation_name: str
    weight: np.ndarray
    bias: np.ndarray | None
    weight_grad: np.ndarray
    bias_grad: np.ndarray | None
    activations: np.ndarray
    unit_activation: np.ndarray
    unit_gradient: np.ndarray
    dead: np.ndarray
    saturation: np.ndarray
    activation_hist: Histogram | None  # for ReLU, of the activations that are not 0
    parameter_hist: Histogram
    gradient_hist: Histogram

    @property
    def units(self) -> int:
        return self.weight.shape[1]

    @property
    def parameter_count(self) -> int:
        return self.weight.size + (0 if self.bias is None else self.bias.size)


@dataclass
class Boundary:
    """The model's scores on a grid over the data: ``scores[r, c]`` at (xs[c], ys[r]); shape (G, G)
    for one output (the class is score > ``threshold``) or (G, G, C) for C class scores (argmax)."""

    xs: np.ndarray
    ys: np.ndarray
    scores: np.ndarray
    threshold: float


@dataclass
class Snapshot:
    """The network after ``epoch`` epochs (``step`` updates); ``loss``, ``val_loss``, ``lr`` as reported
    (None when not given). ``has_gradients`` is False before the first backward pass."""

    epoch: int
    step: int
    loss: float | None
    val_loss: float | None
    lr: float | None
    inputs: np.ndarray
    unit_input: np.ndarray
    layers: list[LayerSnapshot]
    boundary: Boundary | None
    has_gradients: bool
    extra: dict[str, float] = field(default_factory=dict)


# -- reading a model -------------------------------------------------------------------------


@dataclass
class _Block:
    """A layer of the network: its name, where its parameters live, and how to run it."""

    name: str
    activation_name: str
    in_features: int
    units: int
    linear: Any = None  # the nn.Linear (Tensor models)
    post: tuple = ()  # the modules after it (Tensor models)
    neurons: list = field(default_factory=list)  # the Neurons (scalar MLP)


class Network:
    """A model read as fully connected layers (see the module docstring); ``TypeError`` naming
    ``model`` for anything else."""

    def __init__(self, model: Any, owner: str = "LiveTraining") -> None:
        import nn  # viz does not import nn at module level

        self.model = model
        self.scalar = isinstance(model, nn.MLP)
        if self.scalar:
            self.blocks = [
                _Block(f"layers.{i}", layer.neurons[0].activation, len(layer.neurons[0].w), len(layer.neurons),
                       neurons=list(layer.neurons))
                for i, layer in enumerate(model.layers)
            ]
        elif isinstance(model, (nn.Sequential, nn.Linear)):
            self.blocks = _tensor_blocks(model, owner)
        else:
            raise TypeError(
                f"{owner}: model must be a scalar nn.MLP, or an nn.Sequential of nn.Linear layers and "
                f"activations (or one nn.Linear), got a {type(model).__name__}"
            )
        for before, after in zip(self.blocks, self.blocks[1:]):
            if before.units != after.in_features:
                raise ValueError(
                    f"{owner}: model's layer {after.name} takes {after.in_features} inputs but "
                    f"{before.name} gives {before.units}"
                )

    @property
    def in_features(self) -> int:
        return self.blocks[0].in_features

    @property
    def out_features(self) -> int:
        return self.blocks[-1].units

    def signature(self) -> tuple:
        """What the picture's layout depends on: the layers' names, sizes and activations."""
        return tuple((b.name, b.in_features, b.units, b.activation_name) for b in self.blocks)

    def parameters(self, block: _Block) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None, bool]:
        """``(W, b, ∂L/∂W, ∂L/∂b, has_gradients)`` of one layer, copied (zeros where the model holds no
        gradient yet)."""
        if self.scalar:
            weight = np.array([[w.data for w in n.w] for n in block.neurons], dtype=float).T
            weight_grad = np.array([[w.grad for w in n.w] for n in block.neurons], dtype=float).T
            bias = np.array([n.b.data for n in block.neurons], dtype=float)
            bias_grad = np.array([n.b.grad for n in block.neurons], dtype=float)
            return weight, bias, weight_grad, bias_grad, True
        linear = block.linear
        weight = np.array(linear.weight.data, dtype=float)
        has = linear.weight.grad is not None
        weight_grad = np.array(linear.weight.grad, dtype=float) if has else np.zeros_like(weight)
        bias = bias_grad = None
        if linear.bias is not None:
            bias = np.array(linear.bias.data, dtype=float)
            bias_grad = np.array(linear.bias.grad, dtype=float) if linear.bias.grad is not None else np.zeros_like(bias)
        return weight, bias, weight_grad, bias_grad, has

    def layer_outputs(self, X: np.ndarray, params: list[tuple]) -> list[np.ndarray]:
        """Each layer's activations on the rows of ``X`` (float64, rows x units), without a graph and,
        for Tensor models, in evaluation mode (dropout off); every module is left in its mode."""
        outputs = []
        if self.scalar:  # numpy for z = x·W + b, the engine's own Tensor rule for the activation
            h = np.asarray(X, dtype=float)
            with no_grad():
                for block, (weight, bias, *_) in zip(self.blocks, params):
                    z = h @ weight + bias
                    h = z if block.activation_name == "linear" else getattr(Tensor(z), block.activation_name)().data
                    outputs.append(np.asarray(h, dtype=float))
            return outputs
        modes = [(module, module.training) for _, module in self.model.named_modules()]
        try:
            for module, _ in modes:
                module.training = False
            with no_grad():
                h = Tensor(np.asarray(X, dtype=self.blocks[0].linear.weight.data.dtype))
                for block in self.blocks:
                    h = block.linear(h)
                    for module in block.post:
                        h = module(h)
                    outputs.append(np.array(h.data, dtype=float))
        finally:
            for module, training in modes:
                module.training = training
        return outputs

    def threshold(self) -> float:
        """Where one output's score splits the classes: 0.5 after a sigmoid, else 0 (a logit, a margin)."""
        return 0.5 if self.blocks[-1].activation_name == "sigmoid" else 0.0


def _tensor_blocks(model: Any, owner: str) -> list[_Block]:
    import nn

    modules = [model] if isinstance(model, nn.Linear) else list(model)
    blocks: list[_Block] = []
    for i, module in enumerate(modules):
        if isinstance(module, nn.Linear):
            blocks.append(_Block(str(i) if module is not model else "linear", "linear",
                                 module.in_features, module.out_features, linear=module))
        elif isinstance(module, nn.Module) and not module.parameters() and not list(module.named_buffers()):
            if not blocks:
                raise ValueError(f"{owner}: model must start with an nn.Linear, got {type(module).__name__} first")
            block = blocks[-1]
            block.post = block.post + (module,)
            if block.activation_name == "linear":
                block.activation_name = type(module).__name__.lower()
        else:
            raise TypeError(
                f"{owner}: model's module {i} is a {type(module).__name__}: LiveTraining draws nn.Linear layers "
                "and the parameter-free modules between them (activations, Dropout)"
            )
    if not blocks:
        raise ValueError(f"{owner}: model holds no nn.Linear layer to draw")
    return blocks


# -- one snapshot ---------------------------------------------------------------------------


def probe_rows(n: int) -> np.ndarray:
    """The indices of at most ``MAX_PROBE_ROWS`` of ``n`` rows, evenly spaced (all of them
    when there are fewer)."""
    if n <= MAX_PROBE_ROWS:
        return np.arange(n)
    return np.linspace(0, n - 1, MAX_PROBE_ROWS).round().astype(int)


def unit_gradients(weight_grad: np.ndarray, bias_grad: np.ndarray | None) -> np.ndarray:
    """‖(∂L/∂W[:, j], ∂L/∂b_j)‖ for each unit j: how hard the loss pulls on the unit's parameters."""
    squares = (weight_grad**2).sum(axis=0)
    if bias_grad is not None:
        squares = squares + bias_grad**2
    return np.sqrt(squares)


def saturation_share(activations: np.ndarray, activation_name: str) -> np.ndarray:
    """Per unit, the share of rows where a bounded activation (sigmoid, tanh) is within
    ``SATURATION_MARGIN`` of a bound, where its derivative is nearly 0; 0 for other activations."""
    if activation_name not in BOUNDED or activations.size == 0:
        return np.zeros(activations.shape[1])
    low, high = BOUNDED[activation_name]
    margin = SATURATION_MARGIN * (high - low)
    return ((activations < low + margin) | (activations > high - margin)).mean(axis=0)


def take_snapshot(network: Network, inputs: np.ndarray | None, probe: str | int, grid: tuple | None,
                  epoch: int, step: int, loss: float | None, val_loss: float | None, lr: float | None,
                  extra: dict | None = None) -> Snapshot:
    """The network's numbers now (see the module docstring). ``inputs``: the probe rows (None: no
    activations); ``probe``: "mean" (each unit shows its mean over the rows) or a row index;
    ``grid``: (xs, ys) for the decision boundary, or None."""
    params = [network.parameters(block) for block in network.blocks]
    has_gradients = all(p[4] for p in params)
    outputs = network.layer_outputs(inputs, params) if inputs is not None else None
    layers = []
    for i, (block, (weight, bias, weight_grad, bias_grad, _)) in enumerate(zip(network.blocks, params)):
        if outputs is not None:
            acts = outputs[i]
            shown = acts.mean(axis=0) if probe == "mean" else acts[probe]
            dead = np.all(acts == 0, axis=0)
            bounds = BOUNDED.get(block.activation_name)
            if bounds is None and acts.size and np.isfinite(acts).any():
                finite = acts[np.isfinite(acts)]
                bounds = (float(finite.min()), float(finite.max()))
            # ReLU's zeros (often most of its outputs) would flatten the rest: the histogram leaves
            # them out, and the picture gives their share
            act_hist = Histogram.of(acts[acts != 0] if block.activation_name == "relu" else acts, bounds)
        else:
            acts = np.zeros((0, block.units))
            shown = np.full(block.units, np.nan)
            dead = np.zeros(block.units, dtype=bool)
            act_hist = None
        everything = weight.ravel() if bias is None else np.concatenate([weight.ravel(), bias])
        all_grads = weight_grad.ravel() if bias_grad is None else np.concatenate([weight_grad.ravel(), bias_grad])
        layers.append(LayerSnapshot(
            name=block.name, activation_name=block.activation_name,
            weight=weight, bias=bias, weight_grad=weight_grad, bias_grad=bias_grad,
            activations=acts, unit_activation=shown, unit_gradient=unit_gradients(weight_grad, bias_grad),
            dead=dead, saturation=saturation_share(acts, block.activation_name),
            activation_hist=act_hist, parameter_hist=Histogram.of(everything), gradient_hist=Histogram.of(all_grads),
        ))
    if inputs is not None:
        unit_input = inputs.mean(axis=0) if probe == "mean" else inputs[probe]
    else:
        unit_input = np.full(network.in_features, np.nan)
    boundary = None
    if grid is not None:
        xs, ys = grid
        gx, gy = np.meshgrid(xs, ys)
        scores = network.layer_outputs(np.c_[gx.ravel(), gy.ravel()], params)[-1]
        shape = gx.shape if scores.shape[1] == 1 else (*gx.shape, scores.shape[1])
        boundary = Boundary(xs, ys, scores.reshape(shape), network.threshold())
    return Snapshot(epoch=epoch, step=step, loss=loss, val_loss=val_loss, lr=lr,
                    inputs=inputs if inputs is not None else np.zeros((0, network.in_features)),
                    unit_input=np.asarray(unit_input, dtype=float), layers=layers, boundary=boundary,
                    has_gradients=has_gradients, extra=dict(extra or {}))


def boundary_grid(X: np.ndarray, resolution: int, margin: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """``resolution`` points along each axis, spanning the data with ``margin`` on every side."""
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    return np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)

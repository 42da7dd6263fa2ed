"""The tensor engine: a ``Tensor`` is a numpy array in a computation graph.

It follows the same graph protocol as ``Value`` (``data grad parents op label``), so
``backward``, ``grad``, ``backward_steps``, ``gradcheck`` and every picture work on
it unchanged. Each primitive lives in ``tensor_ops`` as a forward rule beside its
vector-Jacobian product; this module is the node and the operator spellings.

Conventions, as in PyTorch: float64 by default, float32 kept as float32 through the
forward and backward pass; a result records its parents only when one of its inputs
requires a gradient; ``.grad`` is None until a backward pass fills it, and leaves
accumulate across passes.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable, Sequence

import numpy as np

from . import context, engine
from . import tensor_ops as ops
from .tensor_ops import TensorOp


def _as_array(data: Any, what: str) -> np.ndarray:
    """Floating arrays keep their dtype; integers and booleans become float64."""
    if isinstance(data, Tensor):
        raise TypeError(f"{what} got a Tensor; use .detach() or .data to take its numbers")
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} needs numbers (an array, list or number), got {type(data).__name__}: {error}")
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "iub":
        return array.astype(np.float64)
    raise TypeError(f"{what} needs real numbers, got an array of dtype {array.dtype} from {type(data).__name__}")


class Tensor:
    """A numpy array in a computation graph: ``data``, ``grad``, ``parents``, ``op``, ``label``.

    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label="W")
    >>> (Tensor([1.0, 1.0]) @ W).sum().backward()
    >>> W.grad
    array([[1., 1.],
           [1., 1.]])
    """

    __slots__ = ("data", "grad", "requires_grad", "parents", "_op", "_params", "_saved", "label", "scope")
    __array_ufunc__ = None  # numpy defers to our reflected operators: array + Tensor is a Tensor
    __hash__ = object.__hash__  # by identity, so tensors can key optimizer state

    def __init__(self, data: Any, requires_grad: bool = False, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
        self.data = _as_array(data, "Tensor()")
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.parents: tuple[Tensor, ...] = ()
        self._op: TensorOp | None = None
        self._params: tuple = ()
        self._saved: Any = None  # what an op with saves=True kept for its vjp
        self.label = label
        self.scope = context.current_scope

    # -- what it holds ----------------------------------------------------------------

    @property
    def op(self) -> str:
        """The name of the operation that made this node ("" for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def numpy(self) -> np.ndarray:
        """The array itself (shared, not copied, as in PyTorch)."""
        return self.data

    def item(self) -> float:
        """The one number of a one-element tensor."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}{self._named()}")
        return self.data.item()

    def detach(self) -> "Tensor":
        """The same numbers as a new leaf, outside the graph."""
        return Tensor(self.data, label=self.label)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20, prefix="Tensor(")
        extras = "".join(
            [
                f", dtype={self.dtype}" if self.dtype != np.float64 else "",
                ", requires_grad=True" if self.requires_grad else "",
                f", op={self.op!r}" if self._op is not None else "",
                f", label={self.label!r}" if self.label else "",
            ]
        )
        return f"Tensor({body}{extras})"

    def _named(self) -> str:
        return f" ({self.label!r})" if self.label else ""

    # -- applying an op -----------------------------------------------------------------

    def _apply(self, op: TensorOp, inputs: tuple, params: tuple = ()) -> "Tensor":
        """The result of ``op`` on ``inputs`` (Tensors); it records them as parents when
        gradients are on and one of them requires a gradient."""
        n = len(inputs)
        if n == 1:  # one, two and three inputs spelled out: no list, no generator
            a = inputs[0]
            data = op.forward(a.data, *params)
            record = a.requires_grad
        elif n == 2:
            a, b = inputs
            data = op.forward(a.data, b.data, *params)
            record = a.requires_grad or b.requires_grad
        elif n == 3:  # linear: x, weight, bias
            a, b, c = inputs
            data = op.forward(a.data, b.data, c.data, *params)
            record = a.requires_grad or b.requires_grad or c.requires_grad
        else:
            data = op.forward(*[x.data for x in inputs], *params)
            record = any([x.requires_grad for x in inputs])
        saved = None
        if op.saves:  # (output, what the vjp needs again)
            data, saved = data
        out = _new_tensor(Tensor)
        out.data = data if data.__class__ is np.ndarray else np.asarray(data)
        out.grad = None
        out.label = ""
        out.scope = context.current_scope
        if record and context.grad_enabled:
            out.requires_grad = True
            out.parents = inputs
            out._op = op
            out._params = params
            out._saved = saved
        else:
            out.requires_grad = False
            out.parents = ()
            out._op = None
            out._params = ()
            out._saved = None
        return out

    def _lift(self, other: Any, op: str) -> "Tensor":
        """A number or array on the other side of ``op`` becomes a constant Tensor.
        Python numbers take this tensor's dtype, so float32 stays float32."""
        cls = other.__class__
        if cls is Tensor:
            return other
        if cls is float or cls is int:
            return _constant(np.asarray(other, dtype=self.data.dtype))
        if cls is np.ndarray and other.dtype.kind == "f":
            return _constant(other)
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Real) and not isinstance(other, np.ndarray):
            return _constant(np.asarray(other, dtype=self.dtype))
        if isinstance(other, np.ndarray) and other.dtype == bool:  # a mask: ones and zeros of our dtype
            return _constant(other.astype(self.dtype))
        if isinstance(other, (np.ndarray, list, tuple)):
            return _constant(_as_array(other, f"Tensor {op}"))
        raise TypeError(f"unsupported operand for {op}: 'Tensor' and '{type(other).__name__}'")

    def _binary(self, op: TensorOp, a: "Tensor", b: "Tensor") -> "Tensor":
        try:
            return a._apply(op, (a, b))
        except ValueError:
            if a.shape == b.shape:
                raise
            raise ValueError(
                f"'{op.name}' cannot broadcast shapes {a.shape}{a._named()} and {b.shape}{b._named()}"
            ) from None

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Any) -> "Tensor":
        return self._binary(ops.ADD, self, self._lift(other, "+"))

    def __radd__(self, other: Any) -> "Tensor":
        return self._binary(ops.ADD, self._lift(other, "+"), self)

    def __sub__(self, other: Any) -> "Tensor":
        return self._binary(ops.SUB, self, self._lift(other, "-"))

    def __rsub__(self, other: Any) -> "Tensor":
        return self._binary(ops.SUB, self._lift(other, "-"), self)

    def __mul__(self, other: Any) -> "Tensor":
        return self._binary(ops.MUL, self, self._lift(other, "*"))

    def __rmul__(self, other: Any) -> "Tensor":
        return self._binary(ops.MUL, self._lift(other, "*"), self)

    def __truediv__(self, other: Any) -> "Tensor":
        return self._binary(ops.DIV, self, self._lift(other, "/"))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return self._binary(ops.DIV, self._lift(other, "/"), self)

    def __pow__(self, exponent: Any) -> "Tensor":
        """``t ** 2`` (a constant exponent) or ``t ** u`` (elementwise, both differentiable)."""
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, (np.ndarray, Tensor)):
            return self._apply(ops.POW_CONST, (self,), (float(exponent),))
        return self._binary(ops.POW, self, self._lift(exponent, "**"))

    def __rpow__(self, base: Any) -> "Tensor":
        return self._binary(ops.POW, self._lift(base, "**"), self)

    def __matmul__(self, other: Any) -> "Tensor":
        other = self._lift(other, "@")
        try:
            return self._apply(ops.MATMUL, (self, other))
        except ValueError:
            ops._matmul_check(self.data, other.data)  # raises with both shapes named
            raise

    def __rmatmul__(self, other: Any) -> "Tensor":
        other = self._lift(other, "@")
        ops._matmul_check(other.data, self.data)
        return other._apply(ops.MATMUL, (other, self))

    def __neg__(self) -> "Tensor":
        return self._apply(ops.NEG, (self,))

    def __pos__(self) -> "Tensor":
        return self

    # -- elementwise functions ----------------------------------------------------------

    def exp(self) -> "Tensor":
        """e^x."""
        return self._apply(ops.EXP, (self,))

    def log(self) -> "Tensor":
        """ln x (nan below 0, -inf at 0, as numpy and PyTorch)."""
        return self._apply(ops.LOG, (self,))

    def sqrt(self) -> "Tensor":
        return self._apply(ops.SQRT, (self,))

    def abs(self) -> "Tensor":
        """|x| (derivative sign(x), 0 at 0)."""
        return self._apply(ops.ABS, (self,))

    __abs__ = abs

    def tanh(self) -> "Tensor":
        return self._apply(ops.TANH, (self,))

    def sigmoid(self) -> "Tensor":
        """1 / (1 + e^-x), without overflow."""
        return self._apply(ops.SIGMOID, (self,))

    def relu(self) -> "Tensor":
        """max(0, x)."""
        return self._apply(ops.RELU, (self,))

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        """max(x, a x) with slope a (PyTorch default 0.01; the slides use 0.1)."""
        return self._apply(ops.LEAKY_RELU, (self,), (float(negative_slope),))

    def elu(self, alpha: float = 1.0) -> "Tensor":
        """x if x > 0 else alpha (e^x - 1)."""
        return self._apply(ops.ELU, (self,), (float(alpha),))

    def gelu(self, approximate: str = "none") -> "Tensor":
        """x Phi(x) (exact, via erf); ``approximate="tanh"`` for PyTorch's tanh form."""
        if approximate == "none":
            return self._apply(ops.GELU, (self,))
        if approximate == "tanh":
            return self._apply(ops.GELU_TANH, (self,))
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def silu(self) -> "Tensor":
        """x sigma(x)."""
        return self._apply(ops.SILU, (self,))

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> "Tensor":
        """log(1 + e^(beta x)) / beta, computed stably; x itself once beta x > threshold."""
        return self._apply(ops.SOFTPLUS, (self,), (float(beta), float(threshold)))

    def erf(self) -> "Tensor":
        """The error function (used by exact GELU)."""
        return self._apply(ops.ERF, (self,))

    # -- reductions and normalizations ----------------------------------------------------

    def _axis(self, axis: Any, what: str) -> Any:
        if axis is None:
            return None
        if axis.__class__ is int and -self.data.ndim <= axis < max(self.data.ndim, 1):
            return axis
        axes = axis if isinstance(axis, tuple) else (axis,)
        for ax in axes:
            if not isinstance(ax, (int, np.integer)) or not -self.ndim <= ax < max(self.ndim, 1):
                raise ValueError(f"{what}: axis {ax!r} is out of range for a tensor of shape {self.shape}")
        return tuple(int(a) for a in axis) if isinstance(axis, tuple) else int(axis)

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return self._apply(ops.SUM, (self,), (self._axis(axis, "sum"), bool(keepdims)))

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return self._apply(ops.MEAN, (self,), (self._axis(axis, "mean"), bool(keepdims)))

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """The largest element(s); the gradient is shared evenly among ties."""
        if self.size == 0:
            raise ValueError(f"max of an empty tensor (shape {self.shape}){self._named()}")
        return self._apply(ops.MAX, (self,), (self._axis(axis, "max"), bool(keepdims)))

    def softmax(self, axis: Any = -1) -> "Tensor":
        """exp(x_i) / sum_j exp(x_j) along ``axis``, computed after subtracting the max."""
        return self._apply(ops.SOFTMAX, (self,), (self._axis(axis, "softmax"),))

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """x_i - logsumexp(x) along ``axis``: finite even for logits of +-1000."""
        return self._apply(ops.LOG_SOFTMAX, (self,), (self._axis(axis, "log_softmax"),))

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """log sum exp(x) = m + log sum exp(x - m), m the max."""
        return self._apply(ops.LOGSUMEXP, (self,), (self._axis(axis, "logsumexp"), bool(keepdims)))

    # -- shape ------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> "Tensor":
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            self.data.reshape(shape)  # a view: checks the shape without copying
        except (ValueError, TypeError):
            raise ValueError(f"cannot reshape a tensor of shape {self.shape}{self._named()} into {shape}") from None
        return self._apply(ops.RESHAPE, (self,), (shape,))

    def transpose(self, *axes: Any) -> "Tensor":
        """Reverse the axes, or put them in the order given."""
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        if axes and sorted(a % self.ndim for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of a tensor of shape {self.shape}")
        axes = tuple(int(a) % self.ndim for a in axes)  # the vjp inverts this permutation
        return self._apply(ops.TRANSPOSE, (self,), (axes or None,))

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __getitem__(self, index: Any) -> "Tensor":
        """Basic and integer-array indexing; the gradient is scattered back, repeated
        indices accumulating."""
        index = _plain_index(index)
        try:
            self.data[index]
        except IndexError as error:
            raise IndexError(f"index {index!r} into a tensor of shape {self.shape}{self._named()}: {error}") from None
        return self._apply(ops.GETITEM, (self,), (index,))

    # -- backward -----------------------------------------------------------------------

    def backward(self, grad: Any = None) -> None:
        """Fill ``.grad`` of every tensor this one depends on with d(self)/d(tensor).

        ``grad`` (dL/d self) may be left out only for a one-element tensor. Leaves
        accumulate across calls, as in PyTorch; intermediate gradients are recomputed.
        """
        if not self.requires_grad:
            raise RuntimeError(
                f"backward() on a tensor that does not require grad{self._named()}: no input of it "
                "was created with requires_grad=True (or it was computed under no_grad())"
            )
        engine.backward(self, grad)

    # -- the graph protocol used by autodiff.engine ------------------------------------------

    def _vjp(self, upstream: Any, create_graph: bool) -> tuple:
        """dL/d(parent) for each parent, summed back to the parent's shape; None when the
        parent needs no gradient."""
        parents = self.parents
        op = self._op
        if create_graph:
            needs = tuple([p.requires_grad for p in parents])
            g = upstream if isinstance(upstream, Tensor) else _constant(upstream)
            return _fitted(op.vjp(g, self, needs, *parents, *self._params), parents)
        g = upstream  # an array: a plain pass seeds and passes on arrays only
        out = self._saved if op.saves else self.data
        params = self._params
        dtype = g.dtype
        n = len(parents)
        # One, two and three parents spelled out, as in _apply. An exact op's gradients are
        # taken as they are when its inputs are arrays of g's dtype with at least one axis.
        if n == 1:
            a = parents[0].data
            needs = (parents[0].requires_grad,)
            grads = op.vjp(g, out, needs, a, *params)
            if op.exact and a.dtype is dtype and a.ndim:
                return grads
        elif n == 2:
            x, y = parents
            a, b = x.data, y.data
            needs = (x.requires_grad, y.requires_grad)
            grads = op.vjp(g, out, needs, a, b, *params)
            if op.exact and a.dtype is dtype and b.dtype is dtype and a.ndim and b.ndim:
                return grads
        elif n == 3:
            x, y, z = parents
            a, b, c = x.data, y.data, z.data
            needs = (x.requires_grad, y.requires_grad, z.requires_grad)
            grads = op.vjp(g, out, needs, a, b, c, *params)
            exact = op.exact and a.dtype is dtype and b.dtype is dtype and c.dtype is dtype
            if exact and a.ndim and b.ndim and c.ndim:
                return grads
        else:
            needs = tuple([p.requires_grad for p in parents])
            grads = op.vjp(g, out, needs, *[p.data for p in parents], *params)
        return _fitted(grads, parents)

    def _local_derivatives(self) -> tuple:
        return (None,) * len(self.parents)  # a Jacobian, not one number

    def _default_seed(self) -> np.ndarray:
        if self.data.size != 1:
            raise RuntimeError(
                f"backward() needs grad= for a tensor of shape {self.shape}{self._named()}: "
                "only a one-element tensor has an implied gradient of 1"
            )
        seed = np.array(1, self.data.dtype)  # (np.ones takes three times as long)
        return seed if self.data.ndim == 0 else seed.reshape(self.data.shape)

    def _check_seed(self, grad: Any) -> Any:
        seed = grad.data if isinstance(grad, Tensor) else _as_array(grad, "backward(grad=...)")
        if seed.shape != self.shape:
            raise ValueError(f"backward(grad=...) has shape {seed.shape}, the tensor{self._named()} {self.shape}")
        return seed.astype(self.dtype, copy=False)

    def _accumulate_grad(self, contribution: Any) -> None:
        grad = self.grad
        total = contribution if grad is None else grad + contribution
        self.grad = np.asarray(total) if isinstance(total, np.generic) else total

    def _gradient_result(self, grad: Any, create_graph: bool) -> "Tensor":
        if isinstance(grad, Tensor):
            return grad
        return Tensor(np.zeros_like(self.data) if grad is None else grad)


_new_tensor = object.__new__


def _constant(data: np.ndarray) -> Tensor:
    """A leaf that needs no gradient (numbers and arrays met in arithmetic)."""
    out = _new_tensor(Tensor)
    out.data = data
    out.grad = None
    out.requires_grad = False
    out.parents = ()
    out._op = None
    out._params = ()
    out._saved = None
    out.label = ""
    out.scope = context.current_scope
    return out


def _fitted(grads: Any, parents: tuple) -> Any:
    """The gradients, each fitted to its parent where it needs it (see ``_fit``)."""
    for g, p in zip(grads, parents):
        if g is not None and (g.__class__ is not np.ndarray or g.shape != p.data.shape or g.dtype != p.data.dtype):
            return [_fit(g, p) for g, p in zip(grads, parents)]  # broadcast, dtype, or a numpy scalar
    return grads


def _fit(g: Any, parent: Tensor) -> Any:
    """A vjp result made to match its parent: broadcasting undone, the parent's dtype kept,
    and an array even for a 0-d parent (numpy gives scalars there)."""
    if g is None:
        return None
    if g.shape != parent.data.shape:
        g = ops.unbroadcast(g, parent.data.shape)
    if g.dtype != parent.data.dtype:
        g = ops.cast(g, parent.data.dtype)
    return np.asarray(g) if isinstance(g, np.generic) else g


def _plain_index(index: Any) -> Any:
    """Tensors and lists inside an index become integer (or boolean) arrays."""
    parts = index if isinstance(index, tuple) else (index,)
    converted = tuple(
        p.data.astype(np.intp) if isinstance(p, Tensor) else np.asarray(p) if isinstance(p, list) else p
        for p in parts
    )
    converted = tuple(np.nonzero(p) if isinstance(p, np.ndarray) and p.dtype == bool else (p,) for p in converted)
    flat = tuple(q for group in converted for q in group)
    return flat if isinstance(index, tuple) or len(flat) != 1 else flat[0]


def _tensors(tensors: Iterable[Any], what: str) -> tuple:
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError(f"{what} needs at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: item {i} is a {type(t).__name__}, not a Tensor")
    return tensors


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; each gets its slice of the gradient back."""
    tensors = _tensors(tensors, "concatenate")
    try:
        np.concatenate([np.empty(t.shape, dtype=bool) for t in tensors], axis=axis)
    except (ValueError, np.exceptions.AxisError) as error:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"concatenate along axis {axis} of shapes {shapes}: {error}") from None
    return tensors[0]._apply(ops.CONCATENATE, tensors, (axis,))


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    tensors = _tensors(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {', '.join(str(t.shape) for t in tensors)}")
    if not -(tensors[0].ndim + 1) <= axis <= tensors[0].ndim:
        raise ValueError(f"stack: axis {axis} is out of range for tensors of shape {tensors[0].shape}")
    return tensors[0]._apply(ops.STACK, tensors, (axis,))


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight + bias as one node (the slides' Z = X W + B; weight of shape (in, out)).

    The same numbers and gradients as ``x @ weight + bias``, in one op instead of two.
    """
    if x.__class__ is not Tensor:
        x = weight._lift(x, "linear")  # a batch given as an array is a constant
    if bias is None:
        return x @ weight
    w, b = weight.data, bias.data
    if w.ndim != 2 or b.shape != w.shape[1:]:
        raise ValueError(
            f"linear needs a weight of shape (in, out) and a bias of shape (out,), "
            f"got {weight.shape}{weight._named()} and {bias.shape}{bias._named()}"
        )
    try:
        return x._apply(ops.LINEAR, (x, weight, bias))
    except ValueError:
        ops._matmul_check(x.data, w)  # raises, naming both shapes
        raise


def softmax_cross_entropy(logits: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """-Σ_c t_c log softmax(z)_c for each row of logits z (classes on the last axis) against
    probability (or one-hot) rows t of the same shape (a Tensor, or an array taken as a
    constant), then ``reduction`` none, sum or mean.

    One node whose gradient is softmax(z) - t (for rows of t that sum to 1), computed
    stably: logits of +-1000 give finite losses and exact gradients.
    """
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"softmax_cross_entropy: reduction must be 'none', 'sum' or 'mean', got {reduction!r}")
    target = logits._lift(target, "softmax_cross_entropy")  # an array of targets is a constant
    if logits.data.ndim == 0 or logits.data.shape != target.data.shape:
        raise ValueError(
            f"softmax_cross_entropy needs logits and targets of one shape (rows of classes), "
            f"got {logits.shape}{logits._named()} and {target.shape}{target._named()}"
        )
    if logits.data.shape[-1] == 0:
        raise ValueError(
            f"softmax_cross_entropy needs at least one class, "
            f"got logits of shape {logits.shape}{logits._named()}"
        )
    return logits._apply(ops.CROSS_ENTROPY, (logits, target), (reduction,))

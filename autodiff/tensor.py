"""The tensor engine: a ``Tensor`` is a numpy array in a computation graph.

It follows the same graph protocol as ``Value`` (``autodiff.Node``), so ``backward``,
``grad``, ``backward_steps``, ``gradcheck`` and every picture work on it unchanged.
Each primitive lives in ``tensor_ops`` as a forward rule beside its vector-Jacobian
product; this module is the node, the one way ops are applied (:func:`apply`) and the
operator spellings.

Conventions, as in PyTorch: float64 by default, float32 kept as float32 through the
forward and backward pass; a result records its parents only when one of its inputs
requires a gradient; ``.grad`` is None until a backward pass fills it, and leaves
accumulate across passes.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable, Sequence

import numpy as np

from . import checks, context, edits, engine
from .scalar import Value
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

    __slots__ = ("_data", "grad", "requires_grad", "parents", "_op", "_params", "_saved", "label", "scope",
                 "_stamp", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our reflected operators: array + Tensor is a Tensor
    __hash__ = object.__hash__  # by identity, so tensors can key optimizer state

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        label: str = "",
        _op: TensorOp | None = None,
        _parents: tuple = (),
        _params: dict | None = None,
        _saved: Any = None,
    ) -> None:
        """A leaf ``Tensor(data, requires_grad, label)``; :func:`apply` also passes the op
        that made it, its parents, the op's parameters and what its forward rule saved."""
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
        self._data = _as_array(data, "Tensor(data=...)")
        self._stamp = edits.clock
        self.grad: np.ndarray | None = None
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad must be True or False, got {type(requires_grad).__name__}: {requires_grad!r}")
        self.requires_grad = bool(requires_grad)
        self.parents: tuple[Tensor, ...] = tuple(_parents)
        self._op = _op
        self._params = _params if _params is not None else {}
        self._saved = _saved  # what an op with saves=True kept for its vjp
        self.label = label
        self.scope = context.current_scope()

    # -- what it holds ----------------------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """The array this node holds (settable: an assignment made between the forward pass and
        ``backward()`` is caught there, see ``autodiff.edits``; a change made in place through
        numpy, ``t.data[0] = 1``, is not)."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = _as_array(value, "Tensor.data")
        self._stamp = edits.edited(self)

    @property
    def op(self) -> str:
        """The name of the operation that made this node ("" for a leaf)."""
        return self._op.name if self._op is not None else ""

    @property
    def primitive(self) -> TensorOp | None:
        """The :class:`TensorOp` that made this node (None for a leaf)."""
        return self._op

    @property
    def params(self) -> dict:
        """The keyword parameters the op was applied with (an axis, an exponent), a copy."""
        return dict(self._params)

    @property
    def shape(self) -> tuple:
        """The array's shape, a tuple of ints (``()`` for a 0-d tensor)."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes, ``len(shape)``."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements, the product of ``shape``."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        """The array's numpy dtype (float64 unless made from a float32 array)."""
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

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Any) -> "Tensor":
        return ops.ADD(self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return ops.ADD(other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return ops.SUB(self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return ops.SUB(other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return ops.MUL(self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return ops.MUL(other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return ops.DIV(self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return ops.DIV(other, self)

    def __pow__(self, exponent: Any) -> "Tensor":
        """``t ** 2`` (a constant exponent) or ``t ** u`` (elementwise, both differentiable)."""
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, np.ndarray):
            return ops.POW_CONST(self, c=float(exponent))
        if not isinstance(exponent, (Tensor, np.ndarray, np.bool_, list, tuple)):
            raise TypeError(
                f"unsupported operand type(s) for **: 'Tensor' and '{type(exponent).__name__}': "
                "the exponent must be a number, an array or a Tensor"
            )
        if isinstance(exponent, (list, tuple)):
            exponent = _as_array(exponent, "Tensor ** exponent")
        return ops.POW(self, exponent)

    def __rpow__(self, base: Any) -> "Tensor":
        return ops.POW(base, self)

    def __matmul__(self, other: Any) -> "Tensor":
        return ops.MATMUL(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return ops.MATMUL(other, self)

    def __neg__(self) -> "Tensor":
        return ops.NEG(self)

    def __pos__(self) -> "Tensor":
        return self

    # -- elementwise functions ----------------------------------------------------------

    def exp(self) -> "Tensor":
        """e^x."""
        return ops.EXP(self)

    def log(self) -> "Tensor":
        """ln x (nan below 0, -inf at 0, as numpy and PyTorch)."""
        return ops.LOG(self)

    def sqrt(self) -> "Tensor":
        """sqrt(x), derivative 1 / (2 sqrt(x)) (nan below 0, inf slope at 0, as numpy and PyTorch)."""
        return ops.SQRT(self)

    def abs(self) -> "Tensor":
        """|x| (derivative sign(x), 0 at 0)."""
        return ops.ABS(self)

    __abs__ = abs

    def tanh(self) -> "Tensor":
        """tanh x, derivative 1 - tanh^2 x."""
        return ops.TANH(self)

    def sin(self) -> "Tensor":
        """sin x."""
        return ops.SIN(self)

    def cos(self) -> "Tensor":
        """cos x."""
        return ops.COS(self)

    def sigmoid(self) -> "Tensor":
        """1 / (1 + e^-x), without overflow."""
        return ops.SIGMOID(self)

    def relu(self) -> "Tensor":
        """max(0, x)."""
        return ops.RELU(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        """max(x, a x) with slope a (PyTorch default 0.01; the slides use 0.1)."""
        return ops.LEAKY_RELU(self, slope=checks.real(negative_slope, "leaky_relu", "negative_slope"))

    def elu(self, alpha: float = 1.0) -> "Tensor":
        """x if x > 0 else alpha (e^x - 1)."""
        return ops.ELU(self, alpha=checks.real(alpha, "elu", "alpha"))

    def gelu(self, approximate: str = "none") -> "Tensor":
        """x Phi(x) (exact, via erf); ``approximate="tanh"`` for PyTorch's tanh form."""
        if approximate == "none":
            return ops.GELU(self)
        if approximate == "tanh":
            return ops.GELU_TANH(self)
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def silu(self) -> "Tensor":
        """x sigma(x)."""
        return ops.SILU(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> "Tensor":
        """log(1 + e^(beta x)) / beta, computed stably; x itself once beta x > threshold."""
        beta = checks.real(beta, "softplus", "beta", nonzero=True)
        return ops.SOFTPLUS(self, beta=beta, threshold=checks.real(threshold, "softplus", "threshold", allow_inf=True))

    def erf(self) -> "Tensor":
        """The error function (used by exact GELU)."""
        return ops.ERF(self)

    # -- reductions and normalizations ----------------------------------------------------

    def _axis(self, axis: Any, what: str) -> Any:
        """``axis`` checked against this tensor's shape. A 0-d tensor has one axis to reduce
        over, 0 or -1, as in PyTorch: reducing over it leaves the number as it is (None)."""
        if axis is None:
            return None
        axes = axis if isinstance(axis, tuple) else (axis,)
        bound = max(self.ndim, 1)
        for ax in axes:
            if isinstance(ax, bool) or not isinstance(ax, (int, np.integer)) or not -bound <= ax < bound:
                raise ValueError(f"{what}: axis {ax!r} is out of range for a tensor of shape {self.shape}")
        if len({int(ax) % bound for ax in axes}) != len(axes):
            raise ValueError(f"{what}: axis {axis!r} names an axis more than once (a tensor of shape {self.shape})")
        if self.ndim == 0:
            return None
        return tuple(int(a) for a in axis) if isinstance(axis, tuple) else int(axis)

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """The sum of all elements, or along ``axis`` (an int or a tuple of them); the gradient
        is the upstream one copied back over the summed axes."""
        return ops.SUM(self, axis=self._axis(axis, "sum"), keepdims=checks.flag(keepdims, "sum", "keepdims"))

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """The mean of all elements, or along ``axis``: the sum divided by the n elements averaged,
        so each element's gradient is the upstream one divided by n."""
        return ops.MEAN(self, axis=self._axis(axis, "mean"), keepdims=checks.flag(keepdims, "mean", "keepdims"))

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """The largest element(s); the gradient is shared evenly among ties. An empty tensor
        has a max only along an axis that is not empty (shape (2, 0) along axis 0: shape (0,))."""
        axis = self._axis(axis, "max")
        if self.size == 0:
            reduced = range(self.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
            if any(self.shape[ax] == 0 for ax in reduced):
                along = "" if axis is None else f" along axis {axis}"
                raise ValueError(f"max of an empty tensor (shape {self.shape}){along}{self._named()}: "
                                 "the max of no numbers is undefined")
        return ops.MAX(self, axis=axis, keepdims=checks.flag(keepdims, "max", "keepdims"))

    def softmax(self, axis: Any = -1) -> "Tensor":
        """exp(x_i) / sum_j exp(x_j) along ``axis``, computed after subtracting the max."""
        return ops.SOFTMAX(self, axis=self._axis(axis, "softmax"))

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """x_i - logsumexp(x) along ``axis``: finite even for logits of +-1000."""
        return ops.LOG_SOFTMAX(self, axis=self._axis(axis, "log_softmax"))

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """log sum exp(x) = m + log sum exp(x - m), m the max."""
        return ops.LOGSUMEXP(self, axis=self._axis(axis, "logsumexp"), keepdims=checks.flag(keepdims, "logsumexp", "keepdims"))

    # -- shape ------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> "Tensor":
        """The same elements in a new shape (``t.reshape(2, 3)`` or ``t.reshape((2, 3))``, one -1
        allowed); the gradient is reshaped back. A shape that does not fit is a ValueError."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            self.data.reshape(shape)  # a view: checks the shape without copying
        except (ValueError, TypeError):
            raise ValueError(f"cannot reshape a tensor of shape {self.shape}{self._named()} into {shape}") from None
        return ops.RESHAPE(self, shape=shape)

    def transpose(self, *axes: Any) -> "Tensor":
        """Reverse the axes, or put them in the order given."""
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        if not axes:
            return ops.TRANSPOSE(self, axes=None)
        n = self.ndim
        for a in axes:
            if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
                raise TypeError(f"transpose: axes must be whole numbers, got {a!r} ({type(a).__name__})")
            if not -n <= a < n:
                raise ValueError(f"transpose: axis {a} is out of range for a tensor of shape {self.shape} (axes {axes})")
        if sorted(int(a) % n for a in axes) != list(range(n)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the axes of a tensor of shape {self.shape}")
        return ops.TRANSPOSE(self, axes=tuple(int(a) % n for a in axes))  # the vjp inverts this permutation

    @property
    def T(self) -> "Tensor":
        """The axes reversed, ``transpose()`` (for a matrix, its transpose)."""
        return self.transpose()

    def __getitem__(self, index: Any) -> "Tensor":
        """Basic and integer-array indexing; the gradient is scattered back, repeated
        indices accumulating. Indices are integers or booleans (lists, numpy arrays), not a
        Tensor, which holds floats."""
        index = _plain_index(index, self)
        try:
            self.data[index]
        except IndexError as error:
            raise IndexError(f"index {index!r} into a tensor of shape {self.shape}{self._named()}: {error}") from None
        return ops.GETITEM(self, index=index)

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

    # -- the graph protocol (autodiff.Node) --------------------------------------------

    def vjp(self, upstream: Any, create_graph: bool = False) -> tuple:
        """dL/d(parent) for each parent, given ``upstream`` = dL/d(self), by the op's vjp
        rule: on arrays, or on the Tensors themselves with ``create_graph``. Each gradient
        is fitted to its parent (see :func:`_fit`); None for a parent that needs none."""
        edits.check_unchanged(self)
        op, parents = self._op, self.parents
        needs, arrays = [], []
        for p in parents:
            needs.append(p.requires_grad)
            arrays.append(p.data)
        if create_graph:
            g = upstream if isinstance(upstream, Tensor) else Tensor(upstream)
            grads = op.vjp(g, self, needs, *parents, **self._params)
        else:
            out = self._saved if op.saves else self.data
            grads = op.vjp(upstream, out, needs, *arrays, **self._params)
        if len(grads) != len(parents):
            raise ValueError(f"the vjp of {op.name!r} gave {len(grads)} gradients for {len(parents)} inputs")
        held = [upstream, self, *parents] if create_graph else [upstream, self.data, out, *arrays]
        fitted = []
        for i, g in enumerate(grads):
            g = _fit(g, parents[i], i, op) if needs[i] else None
            fitted.append(_own(g, held + fitted))
        return tuple(fitted)

    def local_derivatives(self) -> tuple:
        """A Jacobian is not one number: None for each parent."""
        return (None,) * len(self.parents)

    def initial_grad(self, grad: Any = None) -> Any:
        """The gradient a backward pass from this tensor starts from: ``grad`` (a copy, of
        this tensor's shape and dtype), or a one of its shape for a one-element tensor."""
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() needs grad= for a tensor of shape {self.shape}{self._named()}: "
                    "only a one-element tensor has an implied gradient of 1"
                )
            return np.ones_like(self.data)
        if isinstance(grad, Tensor) and grad.parents:
            return grad  # a gradient that is itself part of a graph (create_graph)
        seed = grad.data if isinstance(grad, Tensor) else _as_array(grad, "backward(grad=...)")
        if seed.shape != self.shape:
            raise ValueError(f"backward(grad=...) has shape {seed.shape}, the tensor{self._named()} {self.shape}")
        return seed.astype(self.dtype, copy=True)


def apply(op: TensorOp, inputs: Sequence[Any], params: dict) -> Tensor:
    """``op`` applied to ``inputs`` with keyword ``params``: the one way a Tensor op is
    computed and recorded. Numbers and arrays among the inputs become constants (Python
    numbers in the dtype of the first Tensor input, so float32 stays float32); the
    result records its parents when one of them requires a gradient and gradients are on."""
    if op.arity is not None and len(inputs) != op.arity:
        s = "" if op.arity == 1 else "s"
        raise TypeError(f"{op.name!r} takes {op.arity} tensor input{s}, got {len(inputs)}")
    tensors, arrays, record = [], [], False
    for x in inputs:
        if x.__class__ is not Tensor:  # a number or an array: a constant
            x = _constant(x, op, inputs)
        tensors.append(x)
        arrays.append(x.data)
        record = record or x.requires_grad
    if op.check is not None:
        problem = op.check(*arrays, **params)
        if problem is not None:
            raise ValueError(f"{problem}{_labels(tensors)}")
    try:
        data = op.forward(*arrays, **params)
    except ValueError as error:
        shapes = " and ".join(f"{t.shape}{t._named()}" for t in tensors)
        if "broadcast" in str(error):
            raise ValueError(f"{op.name!r} cannot broadcast shapes {shapes}: {error}") from None
        raise ValueError(f"{op.name!r} of shapes {shapes}: {error}") from None
    saved = None
    if op.saves:
        data, saved = data
    if record and context.is_grad_enabled():
        return Tensor(data, True, "", op, tensors, params, saved)
    return Tensor(data)


def _constant(x: Any, op: TensorOp, inputs: Sequence[Any]) -> Tensor:
    """A number or array met as an input of ``op``: a constant Tensor (it needs no gradient).
    Numbers, and boolean masks, take the dtype of the first Tensor among the inputs (so
    float32 stays float32); float arrays keep theirs; others become float64."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f":
            return Tensor(x)
        if x.dtype.kind == "b":
            return Tensor(x.astype(_dtype_of(inputs)))
    elif isinstance(x, (numbers.Real, np.bool_)):
        return Tensor(np.asarray(x, dtype=_dtype_of(inputs)))
    elif not isinstance(x, (list, tuple)):
        types = " and ".join(f"'{type(i).__name__}'" for i in inputs)
        mixed = (
            ": a Value (the scalar engine's node) and a Tensor cannot be in one graph; "
            "use Tensor(v.data) for a constant, or keep to one engine"
            if any(isinstance(i, Value) for i in inputs)
            else ""
        )
        raise TypeError(f"unsupported operand type(s) for {op.symbol or op.name}: {types}{mixed}")
    return Tensor(_as_array(x, f"Tensor {op.symbol or op.name}"))


def _dtype_of(inputs: Sequence[Any]) -> np.dtype:
    """The dtype of the first Tensor among ``inputs`` (float64 if there is none)."""
    for x in inputs:
        if isinstance(x, Tensor):
            return x.data.dtype
    return np.dtype(np.float64)


def _labels(tensors: Sequence[Tensor]) -> str:
    named = [f"{t.label!r}" for t in tensors if t.label]
    return f" (inputs {', '.join(named)})" if named else ""


def _fit(g: Any, parent: Tensor, position: int, op: TensorOp) -> Any:
    """A vjp result made to fit its parent: an array (numpy gives scalars for 0-d results)
    of real numbers, broadcasting undone (a gradient of a shape the parent broadcasts to
    is summed back), the parent's dtype kept."""
    if g is None:
        return None
    target = parent.data
    if g.__class__ is not np.ndarray:
        if isinstance(g, Tensor):  # create_graph: the same, in Tensor ops
            if g.shape != target.shape:
                g = ops.unbroadcast(_checked_shape(g, target, position, op), target.shape)
            return ops.cast(g, target.dtype) if g.dtype != target.dtype else g
        g = np.asarray(g)
    if g.dtype.kind not in "biuf":
        raise TypeError(
            f"the vjp of {op.name!r} gave input {position} a gradient of dtype {g.dtype}; "
            "a gradient must hold real numbers"
        )
    if g.shape != target.shape:
        g = ops.unbroadcast(_checked_shape(g, target, position, op), target.shape)
    return g.astype(target.dtype) if g.dtype != target.dtype else g


def _own(g: Any, held: Sequence[Any]) -> Any:
    """``g``, or a copy of it if it is (or shares memory with) something in ``held``: the
    upstream gradient, the node's output, a parent, a gradient already given to another
    parent. A node's gradient is then never an array another node holds, so that
    ``x.grad *= 0`` changes x alone (after ``(x + y).backward(g)``, say, whose rule hands
    back g itself for both)."""
    if g is None:
        return None
    if isinstance(g, Tensor):  # create_graph: a node of its own
        return ops.COPY(g) if any(g is h for h in held) else g
    if any(isinstance(h, np.ndarray) and np.may_share_memory(g, h) for h in held):
        return g.copy()
    return g


def _checked_shape(g: Any, target: np.ndarray, position: int, op: TensorOp) -> Any:
    """g, if summing it over broadcast axes can give ``target``'s shape; else a clear error."""
    extra = g.ndim - target.ndim
    fits = extra >= 0 and all(n == 1 or n == m for n, m in zip(target.shape, g.shape[extra:]))
    if not fits:
        raise ValueError(
            f"the vjp of {op.name!r} gave input {position} a gradient of shape {tuple(g.shape)}, "
            f"which does not fit the input's shape {target.shape}"
        )
    return g


def _plain_index(index: Any, tensor: Tensor) -> Any:
    """An index as numpy takes it: lists become integer (or boolean) arrays, boolean arrays
    their nonzero positions. A Tensor is refused: it holds floats (its booleans, too, were
    made 1.0 and 0.0, which would pick positions 1 and 0 instead of masking), and PyTorch
    refuses float indices."""
    parts = index if isinstance(index, tuple) else (index,)
    converted = []
    for p in parts:
        if isinstance(p, Tensor):
            raise IndexError(
                f"a Tensor cannot index a tensor of shape {tensor.shape}{tensor._named()}: it holds floats "
                f"({p.data.dtype}); index with integers or booleans: a list, a numpy array, or "
                "t.data.astype(int) for a Tensor t of whole numbers"
            )
        elif isinstance(p, list):
            try:
                p = np.asarray(p)
            except ValueError as error:  # a ragged list
                raise IndexError(f"index {index!r} into a tensor of shape {tensor.shape}{tensor._named()}: {error}") from None
        if isinstance(p, (np.ndarray, np.floating, float)) and np.asarray(p).dtype.kind == "f":
            raise IndexError(
                f"index {p!r} into a tensor of shape {tensor.shape}{tensor._named()}: indices must be "
                "integers or booleans, not floats"
            )
        converted.extend(np.nonzero(p) if isinstance(p, np.ndarray) and p.dtype == bool else (p,))
    flat = tuple(converted)
    return flat if isinstance(index, tuple) or len(flat) != 1 else flat[0]


def _tensors(tensors: Iterable[Any], what: str) -> tuple:
    """``tensors``, a sequence of Tensors (not one Tensor, whose rows would be taken for them)."""
    if isinstance(tensors, (Tensor, np.ndarray)) or not checks.collection(tensors):
        raise TypeError(f"{what}: tensors must be a list or tuple of Tensors, got {type(tensors).__name__}")
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError(f"{what}: tensors must hold at least one Tensor, got none")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: tensors[{i}] must be a Tensor, got {type(t).__name__}")
    return tensors


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; each gets its slice of the gradient back."""
    tensors = _tensors(tensors, "concatenate")
    axis = checks.whole(axis, "concatenate", "axis")
    try:
        np.concatenate([np.empty(t.shape, dtype=bool) for t in tensors], axis=axis)
    except (ValueError, np.exceptions.AxisError) as error:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"concatenate: tensors of shapes {shapes} cannot be joined along axis {axis}: {error}") from None
    return ops.CONCATENATE(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    tensors = _tensors(tensors, "stack")
    axis = checks.whole(axis, "stack", "axis")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: tensors must all have one shape, got {', '.join(str(t.shape) for t in tensors)}")
    if not -(tensors[0].ndim + 1) <= axis <= tensors[0].ndim:
        raise ValueError(f"stack: axis {axis} is out of range for tensors of shape {tensors[0].shape}")
    return ops.STACK(*tensors, axis=axis)

"""Where the speed lives: every trick autodiff plays only to be faster, kept apart.

The engine a student reads (``engine.py``, ``scalar.py``, ``tensor.py``,
``tensor_ops.py``) is the reference: generic, plain numpy, no special cases, and
complete on its own. This module does some of the same work faster. ``install()``
(which ``import autodiff`` runs) puts its twins in place of the reference methods
of ``Value``, ``Tensor``, ``Op`` and ``TensorOp``; with the environment variable
``AUTODIFF_REFERENCE=1`` set before the import, or inside ``with
autodiff.fast.reference():``, the reference code runs instead, line by line as it reads. ``tests/test_fast.py`` runs each piece
against the reference and checks that they agree.

The tricks, and why each one pays:

- Applying an op (``x * y``, ``x.relu()``, ``x ** 2``, a fused neuron's ``affine``). The
  reference ``Op.__call__`` lists its inputs twice (lifting numbers, then reading their
  data) and copies them once more in the constructor. The twins here read the inputs
  directly and fill the new node's slots themselves (one twin per built-in operator,
  one ``Op.__call__`` for every other op, and one for ``scalar.affine``, which reads a
  fused neuron's bias, weights and inputs in one pass): building a graph is most of a
  scalar training step.
- ``backward_values``: the backward pass of a graph of Values (``Value.backward``). The
  same chain rule as ``engine.backward``, without the generality a scalar graph does not
  need: the walk reads each node's parent slots directly instead of building
  ``parents`` tuples, marks the nodes it has visited in their gradients instead of a
  set, looks for ``.data`` edits only when the edit clock says there may be one, and
  leaves the leaves out of the order (no gradient flows on from a leaf); no ``Step``
  is recorded, and each node's local rule is called in place on the floats and its
  contributions added there, instead of going through ``vjp`` (a fused neuron's rule,
  the one op with a weight and an input per pair of parents, is applied pair by pair).
  The rules of ``+`` and ``*``, the ops of most nodes of a scalar MLP, are written out in
  the loop instead of called, as long as the rules in ``scalar.py`` say the same.
- Applying a Tensor op: ``TensorOp.__call__`` reads one, two or three Tensor inputs
  directly, and ``x.tanh()`` (each elementwise method of one input) calls the op's
  forward rule itself; both fill the new node's slots. ``t.data = array`` skips the
  reference setter's checks when the array is the one ``t`` holds already (``t.data -=
  lr * t.grad``, the in-place update of a training loop), and only records the edit.
- ``backward_tensors``: the backward pass of a graph of Tensors, as ``backward_values``
  for Values: leaves left out of the walk, no ``Step`` recorded, each vjp rule called in
  place, and a gradient taken as it is when it already fits its input and is no other
  node's array.
- The fused tensor kernels ``linear`` and ``softmax_cross_entropy`` (see below).
- ``keep_freed_memory``: let a training loop reuse its freed arrays (see below).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import os
import sys
from typing import Any, Callable, Iterator

import numpy as np

from . import checks, context, edits, engine, scalar, tensor, tensor_ops
from .scalar import ADD, AFFINE, MUL, Op, Value, _as_value, _check_domain
from .tensor import Tensor
from .tensor_ops import TensorOp

# ---------------------------------------------------------------------------------------
# The scalar engine: applying the built-in ops
# ---------------------------------------------------------------------------------------

_new = object.__new__  # a node without the constructor: its slots are filled right here
_state = context.state  # (grad_enabled, current_scope) of this thread, read by every op


def _binary_method(op: Op, reflected: bool) -> Callable:
    """``a <op> b`` (``b <op> a`` when ``reflected``) as ``op(a, b)`` gives it, for two inputs."""
    forward, check = op.forward, op.check

    def method(self: Value, other: Any) -> Value:
        if other.__class__ is not Value:
            other = _as_value(other, op, (other, self) if reflected else (self, other))
        if reflected:
            self, other = other, self
        if check is not None:
            _check_domain(op, [self, other], [self._data, other._data])
        out = _new(Value)
        out._data = forward(self._data, other._data)
        out._stamp = edits.clock
        grad_enabled, out.scope = _state()
        if grad_enabled:
            out.grad = None
            out._a = self
            out._b = other
            out._op = op
        else:
            out.grad = 0.0
            out._a = out._b = out._op = None
        return out

    method.__name__ = f"__{'r' if reflected else ''}{op.name}__"
    return method


def _unary_method(op: Op) -> Callable:
    """``x.<op>()`` as ``op(x)`` gives it."""
    forward, check = op.forward, op.check

    def method(self: Value) -> Value:
        if check is not None:
            _check_domain(op, [self], [self._data])
        out = _new(Value)
        out._data = forward(self._data)
        out._stamp = edits.clock
        grad_enabled, out.scope = _state()
        if grad_enabled:
            out.grad = None
            out._a = self
            out._b = None
            out._op = op
        else:
            out.grad = 0.0
            out._a = out._b = out._op = None
        return out

    method.__name__ = op.name
    return method


def _apply_values(self: Op, *inputs: Any) -> Value:
    """``Op.__call__`` for inputs that are all Values (any number of them: ``x ** 2``, an
    op of your own): their data read in one pass, and the tuple of inputs handed to the
    constructor as the parents, as it is. Numbers to lift, a wrong number of inputs, or
    anything else take the reference path (which says what is wrong)."""
    data = [x._data for x in inputs if x.__class__ is Value]
    if len(data) != len(inputs) or (self.arity is not None and len(inputs) != self.arity):
        return _REFERENCE[Op, "__call__"](self, *inputs)
    if self.check is not None:
        _check_domain(self, inputs, data)
    return Value(self.forward(*data), "", self, inputs)


def _affine_values(weights: Any, inputs: Any, bias: Any) -> Value:
    """``scalar.affine`` (a fused neuron's w . x + b) for a list or tuple of weights and
    one of inputs, all Values: bias, weights and inputs read in one pass, their tuple kept
    as the parents (the order ``AFFINE`` takes them in) and handed to the constructor, and
    the forward rule (``scalar.weighted_sum``) called on the data, where the generic path
    spreads the data out as one argument per input. Anything else takes the reference path."""
    n = len(weights) if weights.__class__ in (list, tuple) else -1
    if inputs.__class__ not in (list, tuple) or len(inputs) != n:
        return _REFERENCE[scalar, "affine"](weights, inputs, bias)  # which says what is wrong
    parents = (bias, *weights, *inputs)
    data = [p._data for p in parents if p.__class__ is Value]
    if len(data) != len(parents):
        return _REFERENCE[scalar, "affine"](weights, inputs, bias)
    return Value(scalar.weighted_sum(data[0], data[1 : n + 1], data[n + 1 :]), "", AFFINE, parents)


# ---------------------------------------------------------------------------------------
# The scalar engine: the backward pass
# ---------------------------------------------------------------------------------------


def backward_values(root: Value, grad: Any = None) -> None:
    """``engine.backward(root, grad)`` for a graph of Values (see the module docstring)."""
    seed = root.initial_grad(grad)
    if seed.__class__ is not float:  # a Value as the seed (higher-order use): the reference loop
        engine.backward(root, seed)
        return
    add, mul = _inlined  # the ops whose rules are written out below (see _inlined_rules)
    with context.collector_paused():
        order = _op_nodes(root)
        root.grad = engine.add_gradients(root.grad, seed)
        for node in reversed(order):
            g = node.grad
            op, a, b = node._op, node._a, node._b
            try:
                if op is add:  # d/da = d/db = 1 (1.0 * g is g, bit for bit)
                    a.grad += g
                    b.grad += g
                elif op is mul:  # d/da = b, d/db = a
                    a.grad += b._data * g
                    b.grad += a._data * g
                elif b is not None:
                    local_a, local_b = op.local(a._data, b._data, node._data)
                    a.grad += local_a * g
                    b.grad += local_b * g
                elif a.__class__ is not tuple:
                    (local_a,) = op.local(a._data, node._data)
                    a.grad += local_a * g
                elif op is AFFINE:  # a fused neuron: see _add_affine_contributions
                    _add_affine_contributions(a, g)
                else:  # an op of more than two inputs
                    for parent, local in zip(a, op.local(*[p._data for p in a], node._data)):
                        parent.grad += local * g
            except (ZeroDivisionError, OverflowError):  # the reference rule's IEEE answer
                for parent, local in zip(node.parents, node.local_derivatives()):
                    parent.grad += local * g


def _inlined_rules() -> tuple:
    """``(ADD, MUL)``, the ops whose local rules ``backward_values`` writes out in place
    instead of calling them (a sum and a product per weight: most of the nodes of a scalar
    MLP), each replaced by None if its rule in ``autodiff.scalar`` no longer says what the
    written-out copy does (tried on a few numbers when the twins are installed), so that an
    edited rule is called as it now reads, not overruled by a stale copy."""
    samples = [(3.0, -5.0), (0.5, 2.0), (-2.0, 0.25)]

    def says(op: Op, want: Callable[[float, float], tuple]) -> bool:
        try:
            return all(tuple(op.local(a, b, op.forward(a, b))) == want(a, b) for a, b in samples)
        except Exception:  # a rule that fails on plain numbers: called as it is, where it fails
            return False

    return (
        ADD if says(ADD, lambda a, b: (1.0, 1.0)) else None,
        MUL if says(MUL, lambda a, b: (b, a)) else None,
    )


_inlined: tuple = (None, None)  # what _inlined_rules() gave when the twins were installed


def _add_affine_contributions(inputs: tuple, g: float) -> None:
    """The chain rule at a fused neuron, z = b + w_1 x_1 + ... + w_n x_n, whose inputs are
    ``(b, w_1, ..., w_n, x_1, ..., x_n)`` (``autodiff.scalar.AFFINE``): its local rule
    (dz/db = 1, dz/dw_i = x_i, dz/dx_i = w_i) applied in place, each contribution added in
    the order of the inputs, as the generic loop adds them. A neuron has two inputs per
    weight, and a step of a small MLP has thousands of neurons: here each pair is read
    once, where the generic loop lists all the data for the rule, calls it, and loops
    over what it returns."""
    n = len(inputs) // 2
    weights, xs = inputs[1 : n + 1], inputs[n + 1 :]
    inputs[0].grad += g
    for w, x in zip(weights, xs):
        w.grad += x._data * g
    for w, x in zip(weights, xs):
        x.grad += w._data * g


def _op_nodes(root: Value) -> list:
    """The op nodes ``root`` depends on, each after the op nodes among its parents, their
    gradients reset to -0.0 on the way (the reference sets None, "not computed yet", then
    assigns the first contribution: the same number, since -0.0 + c is c bit for bit, a
    -0.0 contribution included, where 0.0 + -0.0 would be 0.0), and any leaf gradient set
    to None by hand made -0.0 (so that every parent's ``grad += contribution`` works).

    Depth-first with an explicit stack: a node is pushed to be visited; a visit pushes
    ``(node,)``, "place it", then its unvisited op parents, which are therefore placed
    first. A node pushed twice is visited once (the later push is popped first).

    Visited nodes are told apart by their gradient rather than kept in a set: the walk
    makes a float -0.0 of its own (a new object, which no node can hold yet) and sets each
    visited node's gradient to that very object, so "visited?" is ``node.grad is zero``.
    A set of tens of thousands of nodes costs a hash and a table entry per node, and
    the table outgrows the processor's caches; the gradient is in the node, read anyway.

    Edits of ``.data`` (see ``autodiff.edits``) are looked for only if there may be one:
    when every op node was stamped with the edit clock as it reads now, no data has been
    assigned since the first of them was made, so none after a node was computed from it."""
    order: list = []
    if root._op is None:
        return order
    zero = float("-0")  # a new float object (float(str) makes one each call), this walk's mark
    clock = edits.clock
    edited = False
    stack: list = [root]
    while stack:
        node = stack.pop()
        if node.__class__ is tuple:  # (node,): its parents are placed
            order.append(node[0])
            continue
        if node.grad is zero:  # visited already
            continue
        node.grad = zero
        edited = edited or node._stamp != clock
        stack.append((node,))
        a, b = node._a, node._b
        if a.__class__ is tuple:  # an op of more than two inputs
            for p in reversed(a):
                if p._op is not None:
                    if p.grad is not zero:
                        stack.append(p)
                elif p.grad is None:
                    p.grad = -0.0
            continue
        if b is not None:
            if b._op is not None:
                if b.grad is not zero:
                    stack.append(b)
            elif b.grad is None:
                b.grad = -0.0
        if a._op is not None:
            if a.grad is not zero:
                stack.append(a)
        elif a.grad is None:
            a.grad = -0.0
    if edited:
        _check_edits(order)
    return order


def _check_edits(order: list) -> None:
    """Raise, as the reference backward pass would, at the first node (from the root on)
    whose data, or a parent's, was assigned after the node was computed."""
    for node in reversed(order):
        edits.check_unchanged(node)


# ---------------------------------------------------------------------------------------
# The tensor engine: applying an op, and the backward pass
# ---------------------------------------------------------------------------------------


def _apply_tensors(self: TensorOp, *inputs: Any, **params: Any) -> Tensor:
    """``TensorOp.__call__`` (``tensor.apply``) for one, two or three Tensor inputs and an
    op with no ``check``: the inputs read directly, the node's slots filled here. Anything
    else (numbers or arrays to lift, an op that checks, an error) takes the reference path."""
    n = len(inputs)
    if self.check is not None or n > 3 or (self.arity is not None and n != self.arity):
        return tensor.apply(self, inputs, params)
    for x in inputs:
        if x.__class__ is not Tensor:  # a float array is a constant; anything else, the reference
            if x.__class__ is not np.ndarray or x.dtype.kind != "f":
                return tensor.apply(self, inputs, params)
            inputs = tuple([x if x.__class__ is Tensor else _constant(x) for x in inputs])
            break
    a = inputs[0]
    b = inputs[1] if n > 1 else a
    c = inputs[2] if n > 2 else a
    try:
        if n == 1:
            data = self.forward(a._data, **params)
        elif n == 2:
            data = self.forward(a._data, b._data, **params)
        else:
            data = self.forward(a._data, b._data, c._data, **params)
    except ValueError:
        return tensor.apply(self, inputs, params)  # which says what is wrong
    saved = None
    if self.saves:
        data, saved = data
    if data.__class__ is not np.ndarray:
        data = np.asarray(data)
    if data.dtype.kind != "f":
        return tensor.apply(self, inputs, params)
    return _tensor_node(self, data, inputs, params, saved, a.requires_grad or b.requires_grad or c.requires_grad)


def _tensor_node(op: TensorOp, data: np.ndarray, inputs: tuple, params: dict, saved: Any, record: bool) -> Tensor:
    """The node ``tensor.apply`` makes for ``op``'s result ``data`` (a float array), its
    slots filled here: a node of the graph if ``record`` (an input requires a gradient)
    and gradients are on, else a leaf."""
    out = _new(Tensor)
    out._data = data
    out._stamp = edits.clock
    out.grad = None
    out.label = ""
    grad_enabled, out.scope = _state()
    if record and grad_enabled:
        out.requires_grad = True
        out.parents = inputs
        out._op = op
        out._params = params
        out._saved = saved
    else:
        out.requires_grad = False
        out.parents = ()
        out._op = None
        out._params = {}
        out._saved = None
    return out


def _tensor_unary_method(op: TensorOp) -> Callable:
    """``x.<op>()`` for a Tensor (an elementwise op of one input, with no settings, no check
    and nothing saved: ``x.tanh()``), as ``op(x)`` gives it, its node made here."""
    assert op.arity == 1 and op.check is None and not op.saves, op
    forward = op.forward

    def method(self: Tensor) -> Tensor:
        data = forward(self._data)
        if data.__class__ is not np.ndarray:  # numpy gives a 0-d input's result as a scalar
            data = np.asarray(data)
        if data.dtype.kind != "f":
            return tensor.apply(op, (self,), {})
        return _tensor_node(op, data, (self,), {}, None, self.requires_grad)

    method.__name__ = op.name
    return method


def _set_tensor_data(self: Tensor, value: Any) -> None:
    """``t.data = value``: when ``value`` is the array ``t`` holds already (``t.data -= lr *
    t.grad``, an in-place update, assigns it back), there is nothing to check, only the
    edit to record; anything else takes the reference setter."""
    if value is self._data:
        self._stamp = edits.edited(self)
    else:
        _REFERENCE[Tensor, "data"].fset(self, value)


def _constant(data: np.ndarray) -> Tensor:
    """``Tensor(data)`` for a float array, its slots filled here."""
    out = _new(Tensor)
    out._data = data
    out._stamp = edits.clock
    out.grad = None
    out.requires_grad = False
    out.parents = ()
    out._op = None
    out._params = {}
    out._saved = None
    out.label = ""
    out.scope = context.current_scope()
    return out


def backward_tensors(root: Tensor, grad: Any = None) -> None:
    """``engine.backward(root, grad)`` for a graph of Tensors: the walk leaves the leaves
    out, no ``Step`` is recorded, and each node's vjp rule is called in place, its
    gradients taken as they are when they already fit their parents (arrays of the
    parent's shape and dtype that own their memory and are no other node's array, see
    ``_not_held``), and fitted by the reference ``tensor._fit`` and ``tensor._own`` otherwise."""
    if not root.requires_grad:
        return _REFERENCE[Tensor, "backward"](root, grad)  # which says why not
    data = root.data
    if grad is None and data.size == 1:  # a loss: the seed 1, as initial_grad makes it
        seed = _ones(data.shape, data.dtype).copy()
    else:
        seed = root.initial_grad(grad)
    if seed.__class__ is not np.ndarray:  # a graph node as the seed: the reference loop
        engine.backward(root, seed)
        return
    with context.collector_paused():
        order = _tensor_op_nodes(root)
        root.grad = engine.add_gradients(root.grad, seed)
        for node in reversed(order):
            upstream = node.grad
            if upstream is None:
                continue
            op, parents, params = node._op, node.parents, node._params
            out = node._saved if op.saves else node._data
            n = len(parents)
            if n == 1:
                x = parents[0]
                grads = op.vjp(upstream, out, (x.requires_grad,), x._data, **params)
            elif n == 2:
                x, y = parents
                grads = op.vjp(upstream, out, (x.requires_grad, y.requires_grad), x._data, y._data, **params)
            elif n == 3:
                x, y, w = parents
                needs = (x.requires_grad, y.requires_grad, w.requires_grad)
                grads = op.vjp(upstream, out, needs, x._data, y._data, w._data, **params)
            else:
                grads = node.vjp(upstream)  # already fitted
                for parent, g in zip(parents, grads):
                    if g is not None:
                        parent.grad = g if parent.grad is None else engine.add_gradients(parent.grad, g)
                continue
            if len(grads) != n:
                grads = node.vjp(upstream)  # which says what is wrong
            for i, parent in enumerate(parents):
                g = grads[i]
                if g is None or not parent.requires_grad:
                    continue
                target = parent._data
                if not (g.__class__ is np.ndarray and g.shape == target.shape and g.dtype == target.dtype):
                    g = tensor._fit(g, parent, i, op)
                if parent.grad is not None:  # the sum is a new array: g may be anyone's
                    parent.grad = engine.add_gradients(parent.grad, g)
                elif g.base is None and (op in _OWN_GRADIENTS or _not_held(g, node, upstream, out, grads, i)):
                    parent.grad = g  # an array of its own (the usual case), taken as it is
                else:  # perhaps shared: the reference check, which copies it if so
                    held = [upstream, node._data, out, *[p._data for p in parents], *grads[:i]]
                    parent.grad = tensor._own(g, held)


def _not_held(g: np.ndarray, node: Tensor, upstream: Any, out: Any, grads: tuple, i: int) -> bool:
    """For a gradient ``g`` that owns its memory: whether it is none of the arrays the
    reference check (``tensor._own``) is given: the upstream gradient, the node's output and
    what its rule saved, its parents' data, the gradients of the parents before it
    (``grads[:i]``). Identity tells them apart here, with no ``np.may_share_memory``: an
    array that owns its memory shares it only with its views, and a held array could be a
    view of ``g`` only if the rule returned the base of one (``a.base``), which no rule has
    a reason to do."""
    if g is upstream or g is node._data or g is out:
        return False
    for p in node.parents:
        if g is p._data:
            return False
    for j in range(i):
        if g is grads[j]:
            return False
    return True


def _tensor_op_nodes(root: Tensor) -> list:
    """The op nodes ``root`` depends on, parents first, their gradients reset to None on
    the way (depth-first, and looking for ``.data`` edits, as ``_op_nodes`` for Values)."""
    order: list = []
    if not root.parents:
        return order
    clock = edits.clock
    edited = False
    visited = set()
    stack: list = [root]
    while stack:
        node = stack.pop()
        if node.__class__ is tuple:
            order.append(node[0])
            continue
        if node in visited:
            continue
        visited.add(node)
        node.grad = None
        edited = edited or node._stamp != clock
        stack.append((node,))
        for parent in reversed(node.parents):
            if parent.parents and parent not in visited:
                stack.append(parent)
    if edited:
        _check_edits(order)
    return order


# ---------------------------------------------------------------------------------------
# The tensor engine: fused kernels for what a layer and a classifier's loss do every step
# ---------------------------------------------------------------------------------------
# One node each instead of two (x @ W, + b) or five (log_softmax, *, sum, neg, mean): fewer
# nodes to record and walk, fewer temporaries. Their reference paths are those compositions.

@functools.lru_cache(maxsize=64)
def _ones(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """A read-only array of ones, made once for each shape and dtype."""
    ones = np.ones(shape, dtype)
    ones.flags.writeable = False
    return ones


# numpy's sum along an axis of a matrix sets up its loop once per row (or column), which
# costs more than the additions themselves for the short rows of a layer's batch; a
# product with a vector of ones is one BLAS call over all of them


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a matrix ``b``. For an ``a`` of one or two axes, as ``np.dot(a, b)``: the
    same product (the same BLAS call, the same numbers bit for bit) through a call with less
    overhead than the matmul ufunc's, which shows on the small products of a small layer.
    (Not for an ``a`` of more axes, whose np.dot sums in another order, nor a 0-d one, which
    np.dot would multiply where matmul refuses it.)"""
    return np.dot(a, b) if 0 < a.ndim <= 2 else a @ b


def _column_sums(x: np.ndarray) -> np.ndarray:
    """A matrix's column sums (a bias gradient), as ``ones @ x``."""
    return _product(_ones((x.shape[0],), x.dtype), x)


def _row_sums(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=-1, keepdims=True)`` (each row's sum over its classes), as ``x @ ones``."""
    return _product(x, _ones((x.shape[-1], 1), x.dtype))


# numpy's max along the last axis of a matrix likewise reduces one short row at a time;
# for a few classes and many rows, the rows' maxima are faster as the elementwise maxima
# of the columns, read from a transposed copy (classes x rows) made for the purpose
SHORT_ROW = 32  # classes: up to this many, and at least as many rows, the copy pays


def _row_max(x: np.ndarray) -> np.ndarray:
    """``np.max(x, axis=-1, keepdims=True)`` for an array of one or more classes on its
    last axis (the same numbers: a maximum is exact, and nan wins in both)."""
    if x.ndim == 2 and x.shape[1] <= SHORT_ROW <= x.shape[0]:
        return np.maximum.reduce(np.ascontiguousarray(x.T), axis=0).reshape((x.shape[0], 1))
    return np.maximum.reduce(x, axis=-1, keepdims=True)


def _linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x @ W + b, the bias added in place (one array instead of two) when it has the
    product's dtype; otherwise as ``x @ w + b`` (a float64 bias on float32 inputs gives
    a float64 sum)."""
    out = _product(x, w)
    if b.dtype != out.dtype:
        return out + b
    out += b
    return out


def _linear_vjp(g, out, needs, x, w, b):
    """Z = X W + b:  dX = G W^T, dW = X^T G, db = G summed over the rows.
    An X of any other number of axes, (..., in), is taken as its rows (n, in); n is spelled
    out, not -1, which numpy cannot work out when in (or out) is 0."""
    x_rows, g_rows = x, g
    if x.ndim != 2:
        rows = math.prod(x.shape[:-1])
        x_rows, g_rows = x.reshape((rows, x.shape[-1])), g.reshape((rows, g.shape[-1]))
    if x.__class__ is not np.ndarray:  # create_graph: the same products, on Tensors
        return (
            g @ w.T if needs[0] else None,
            x_rows.T @ g_rows if needs[1] else None,
            g_rows.sum(axis=0) if needs[2] else None,
        )
    return (
        _product(g, w.T) if needs[0] else None,
        _product(x_rows.T, g_rows) if needs[1] else None,
        _column_sums(g_rows) if needs[2] else None,
    )


LINEAR = TensorOp("linear", _linear_forward, _linear_vjp)


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight + bias as one node (the slides' Z = X W + B; weight of shape (in, out)).

    The same numbers and gradients as ``x @ weight + bias`` (its reference path), in one
    op instead of two. ``x`` may be an array (a constant batch).
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"linear: weight must be a Tensor of shape (in, out), got {type(weight).__name__}")
    if not (bias is None or isinstance(bias, Tensor)):
        raise TypeError(f"linear: bias must be a Tensor of shape (out,) or None, got {type(bias).__name__}")
    if x.__class__ is not Tensor:
        x = _input_tensor(x, "linear", "x")
    if bias is None:
        return tensor_ops.MATMUL(x, weight)
    w, b = weight._data, bias._data
    if w.ndim != 2 or b.shape != w.shape[1:]:
        raise ValueError(
            f"linear needs a weight of shape (in, out) and a bias of shape (out,), "
            f"got {weight.shape}{weight._named()} and {bias.shape}{bias._named()}"
        )
    try:
        if not installed():  # inside reference(): the generic apply
            return LINEAR(x, weight, bias)
        # what LINEAR(x, weight, bias) gives, without the generic apply's checks of its inputs
        data = _linear_forward(x._data, w, b)
    except ValueError:  # the shapes do not fit: say how, as matmul does
        problem = tensor_ops._matmul_check(x._data, w)
        if problem is None:
            raise
        raise ValueError(f"linear: x of shape {x.shape} and weight of shape {weight.shape}: {problem}") from None
    record = x.requires_grad or weight.requires_grad or bias.requires_grad
    return _tensor_node(LINEAR, data, (x, weight, bias), {}, None, record)


def _input_tensor(x: Any, owner: str, name: str) -> Tensor:
    """``x`` if it is a Tensor, else a constant Tensor of its numbers (a TypeError naming it
    if it has none)."""
    if isinstance(x, Tensor):
        return x
    if x.__class__ is np.ndarray and x.dtype.kind == "f":
        return _constant(x)
    try:
        return Tensor(x)
    except TypeError as error:
        raise TypeError(f"{owner}: {name} must be a Tensor or an array of real numbers ({error})") from None


def _per_row(g: Any, z: Any, reduction: str) -> Any:
    """The upstream gradient of each row's loss, shaped to broadcast over its classes."""
    if reduction == "none":
        return g.reshape(g.shape + (1,))
    if g.__class__ is np.ndarray and g.ndim == 0:
        g = float(g)  # a number times the rows: cheaper than a 0-d array, and keeps their dtype
    if reduction == "mean":
        return g * (1.0 / max(z.size // z.shape[-1], 1))
    return g


def _cross_entropy_forward(z, t, *, reduction):
    """Each row's -Σ_c t_c log softmax(z)_c (classes on the last axis), then none, sum or
    mean. The log-softmax is saved for the backward pass. A class with t_c = 0 adds 0 even
    where its probability is 0 (a logit of -inf, or one far below the row's largest):
    0 · log 0 = 0, as PyTorch's loss on class indices has it."""
    log_probs = z - _row_max(z)
    log_probs -= np.log(_row_sums(np.exp(log_probs)))
    if reduction == "none":
        return np.negative(_row_sums(_target_times(t, log_probs))).reshape(z.shape[:-1]), log_probs
    loss = -np.vdot(t, log_probs)  # the sum over every row and class: one BLAS dot product
    if loss != loss:  # nan: perhaps a 0 · -inf among the products, which counts as 0
        loss = -np.sum(_target_times(t, log_probs))
    if reduction == "mean":
        rows = z.size // z.shape[-1]
        loss = loss / rows if rows else loss * np.nan  # the mean of no rows is nan, as np.mean's
    return loss, log_probs


def _target_times(t, log_probs):
    """t_c log p_c for every class, 0 where t_c = 0 (whatever log p_c is, -inf included)."""
    return np.multiply(t, log_probs, out=np.zeros(log_probs.shape, np.result_type(t, log_probs)), where=t != 0)


def _cross_entropy_vjp(g, log_probs, needs, z, t, *, reduction):
    """dL/dz = softmax(z) Σ_c t_c - t  (softmax - onehot for a one-hot t);  dL/dt = -log softmax(z);
    each row times its upstream gradient g_row.

    On a plain backward pass, in place on the log-softmax the forward rule saved. With
    create_graph, on the Tensors (the log-softmax recomputed)."""
    if z.__class__ is np.ndarray:
        g_row = _per_row(g, z, reduction)
        dz = dt = None
        if needs[0]:
            dz = np.exp(log_probs)
            dz *= _row_sums(t)
            dz -= t
            dz *= g_row
        if needs[1]:
            dt = log_probs * -g_row
        return dz, dt
    log_probs = z.log_softmax(-1)
    g_row = _per_row(g, z, reduction)
    dz = (log_probs.exp() * t.sum(axis=-1, keepdims=True) - t) * g_row if needs[0] else None
    dt = -log_probs * g_row if needs[1] else None
    return dz, dt


CROSS_ENTROPY = TensorOp("cross_entropy", _cross_entropy_forward, _cross_entropy_vjp, saves=True)

# The ops whose vjp rule, on arrays, makes a new array for each input it gives a gradient
# (a product or an exponential, never the upstream gradient, an input or another input's
# gradient): ``backward_tensors`` takes their gradients as they are, without looking for
# them among the arrays the node holds.
_OWN_GRADIENTS = frozenset({LINEAR, CROSS_ENTROPY})


def softmax_cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-Σ_c t_c log softmax(z)_c for each row of logits z (classes on the last axis) against
    probability (or one-hot) rows t of the same shape (a Tensor, or an array taken as a
    constant), then ``reduction`` none, sum or mean.

    One node whose gradient is softmax(z) - t (for rows of t that sum to 1), computed
    stably: logits of +-1000 give finite losses and exact gradients. Its reference path:
    ``-(t * logits.log_softmax(-1)).sum(-1)``, then the mean or sum.
    """
    if not isinstance(reduction, str) or reduction not in ("none", "sum", "mean"):
        raise ValueError(f"softmax_cross_entropy: reduction must be 'none', 'sum' or 'mean', got {reduction!r}")
    if logits.__class__ is not Tensor:
        logits = _input_tensor(logits, "softmax_cross_entropy", "logits")
    if target.__class__ is not Tensor:
        target = _input_tensor(target, "softmax_cross_entropy", "target")  # an array of targets is a constant
    z, t = logits._data, target._data
    if z.ndim == 0 or z.shape != t.shape:
        raise ValueError(
            f"softmax_cross_entropy needs logits and target of one shape (rows of classes), "
            f"got {logits.shape}{logits._named()} and {target.shape}{target._named()}"
        )
    if z.shape[-1] == 0:
        raise ValueError(
            f"softmax_cross_entropy needs at least one class, "
            f"got logits of shape {logits.shape}{logits._named()}"
        )
    if not installed():  # inside reference(): the generic apply
        return CROSS_ENTROPY(logits, target, reduction=reduction)
    # what CROSS_ENTROPY(logits, target, reduction=reduction) gives, without the generic
    # apply's checks of its inputs
    loss, log_probs = _cross_entropy_forward(z, t, reduction=reduction)
    record = logits.requires_grad or target.requires_grad
    return _tensor_node(CROSS_ENTROPY, np.asarray(loss), (logits, target), {"reduction": reduction}, log_probs, record)


# ---------------------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------------------

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def keep_freed_memory(trim_threshold: int = 512 << 20, mmap_threshold: int = 32 << 20) -> bool:
    """Let a training loop reuse its freed arrays instead of faulting them in again.

    glibc serves large blocks with fresh mmaps and hands the top of the heap back to the
    OS once enough of it is free. A training step frees its temporaries together at its
    end (megabytes for a 784-256 layer), so in some processes the next step faults the
    same pages in again: hundreds of minor page faults per step, for this engine and
    hand-written numpy alike. This asks glibc to keep up to ``trim_threshold`` bytes of
    freed heap and to serve blocks up to ``mmap_threshold`` bytes from the heap. It is a
    process-wide setting (freed memory is not returned to the OS), so it is opt-in: call
    it once at the start of a long training run. True if applied (Linux with glibc).
    """
    largest = 2**31 - 1  # mallopt takes a C int
    checks.whole(trim_threshold, "keep_freed_memory", "trim_threshold", minimum=0, maximum=largest)
    checks.whole(mmap_threshold, "keep_freed_memory", "mmap_threshold", minimum=0, maximum=largest)
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_TRIM_THRESHOLD, trim_threshold)) and bool(
            libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)
        )
    except (OSError, AttributeError):
        return False


# ---------------------------------------------------------------------------------------
# Installing the twins
# ---------------------------------------------------------------------------------------

_BINARY = {"add": scalar.ADD, "sub": scalar.SUB, "mul": scalar.MUL, "truediv": scalar.DIV}
_UNARY = {
    "__neg__": scalar.NEG,
    "exp": scalar.EXP,
    "log": scalar.LOG,
    "sqrt": scalar.SQRT,
    "tanh": scalar.TANH,
    "sigmoid": scalar.SIGMOID,
    "relu": scalar.RELU,
    "sin": scalar.SIN,
    "cos": scalar.COS,
    "erf": scalar.ERF,
    "silu": scalar.SILU,
}


_TENSOR_UNARY = {
    "__neg__": tensor_ops.NEG,
    "exp": tensor_ops.EXP,
    "log": tensor_ops.LOG,
    "sqrt": tensor_ops.SQRT,
    "abs": tensor_ops.ABS,
    "tanh": tensor_ops.TANH,
    "sin": tensor_ops.SIN,
    "cos": tensor_ops.COS,
    "sigmoid": tensor_ops.SIGMOID,
    "relu": tensor_ops.RELU,
}


def _twins() -> dict[tuple[Any, str], Callable]:
    """``(class or module, name) -> twin``: what ``install()`` puts in place."""
    twins: dict[tuple[Any, str], Callable] = {(Value, "backward"): _backward_values_method}
    for name, op in _BINARY.items():
        twins[Value, f"__{name}__"] = _binary_method(op, reflected=False)
        twins[Value, f"__r{name}__"] = _binary_method(op, reflected=True)
    for name, op in _UNARY.items():
        twins[Value, name] = _unary_method(op)
    twins[Op, "__call__"] = _apply_values
    twins[scalar, "affine"] = _affine_values  # (a function of the module, put in place the same way)
    for name, op in _TENSOR_UNARY.items():
        twins[Tensor, name] = _tensor_unary_method(op)
    reference_data = Tensor.__dict__["data"]
    twins[Tensor, "data"] = property(reference_data.fget, _set_tensor_data)
    twins[Tensor, "backward"] = _backward_tensors_method
    twins[TensorOp, "__call__"] = _apply_tensors
    return twins


def _backward_values_method(self: Value, grad: float | None = None) -> None:
    backward_values(self, grad)


def _backward_tensors_method(self: Tensor, grad: Any = None) -> None:
    backward_tensors(self, grad)


_TWINS = _twins()
_REFERENCE = {(cls, name): cls.__dict__[name] for cls, name in _TWINS}  # the core's own methods
for _key, _twin in _TWINS.items():  # help(Value.tanh) says what the reference method says
    _twin.__doc__ = _REFERENCE[_key].__doc__


def install() -> None:
    """Put the fast twins in place of the reference methods (of Value, Tensor, Op and TensorOp)."""
    global _inlined
    _inlined = _inlined_rules()
    for (cls, name), method in _TWINS.items():
        setattr(cls, name, method)


def uninstall() -> None:
    """Put the reference methods back."""
    for (cls, name), method in _REFERENCE.items():
        setattr(cls, name, method)


def installed() -> bool:
    """Whether the fast twins are in place (they come and go together: one tells)."""
    return TensorOp.__call__ is _apply_tensors


@contextlib.contextmanager
def reference() -> Iterator[None]:
    """Run the reference code inside the block (the twins come back after it)."""
    was = installed()
    uninstall()
    try:
        yield
    finally:
        if was:
            install()


def install_unless_asked_not_to() -> None:
    """``install()``, unless the environment variable ``AUTODIFF_REFERENCE`` is set to 1."""
    if os.environ.get("AUTODIFF_REFERENCE", "") not in ("1", "true", "yes"):
        install()

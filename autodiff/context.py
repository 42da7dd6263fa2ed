"""Recording state: whether operations record a graph, and which scope they belong to.

``no_grad()`` switches recording off (the result of every operation is a leaf).
``scope(name)`` tags every node created inside it, so a picture of a big graph can
collapse, say, one neuron's multiply-adds into one box (nn modules open a scope
when they are called).

Both are per thread, as in PyTorch: one thread's ``no_grad()`` (its validation,
say) leaves the others recording, and a new thread starts recording, outside any
scope. Every operation reads them with one call, ``state()``, which gives the pair
``[grad_enabled, current_scope]`` of this thread. The pair is kept in a
``contextvars.ContextVar`` (whose ``get`` is a quick read, unlike a
``threading.local``'s attributes): a thread starts with the shared default
``(True, None)``, a tuple nobody changes, and gets a list of its own
(``thread_state()``) the first time it opens a block. Blocks change that list in
place, since nn opens one on every module call. (Asyncio tasks of one thread, and a
context copied into another thread, share their thread's list, as they would share a
``threading.local``.)
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import threading
from typing import Any, Iterator

_state: "contextvars.ContextVar[Any]" = contextvars.ContextVar("autodiff_recording", default=(True, None))

# ``state()`` -> ``[grad_enabled, current_scope]`` of this thread: what every operation reads
# (the ContextVar's own ``get``, so the read is one call, not two).
state = _state.get


def thread_state() -> list:
    """This thread's own ``[grad_enabled, current_scope]``, to change in place for a block."""
    current = _state.get()
    if current.__class__ is tuple:  # the default: this thread has not opened a block yet
        current = [*current]
        _state.set(current)
    return current


def is_grad_enabled() -> bool:
    """True when operations record their parents (the default)."""
    return _state.get()[0]


def current_scope() -> "Scope | None":
    """The innermost open :func:`scope` of this thread (None outside any)."""
    return _state.get()[1]


_pause_lock = threading.Lock()
_pauses = 0  # blocks inside collector_paused, in every thread
_collector_was_enabled = False


class collector_paused:
    """Pause Python's cycle collector for the block (it comes back on exit, even on an error).

    Graph nodes hold no reference cycles and are freed by reference counting, but
    while a big graph is alive the collector would still walk all of it, again and
    again, as new nodes are made. Building a graph inside a module call and running
    backward() are the two places that make most nodes, so both pause it. Nothing is
    lost: any cyclic garbage made meanwhile is collected after the block.

    The collector is one per process, so the pauses of all threads are counted: it
    comes back (if it was on before the first) only when the last block ends, not
    when one thread's backward() ends in the middle of another's.
    (A class rather than a generator: it is entered on every backward() and module call.)
    """

    __slots__ = ()

    def __enter__(self) -> None:
        global _pauses, _collector_was_enabled
        with _pause_lock:
            if _pauses == 0:
                _collector_was_enabled = gc.isenabled()
                gc.disable()
            _pauses += 1

    def __exit__(self, *exc_info: Any) -> None:
        global _pauses
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()


class _GradMode(contextlib.ContextDecorator):
    """Set whether operations record a graph for the block; the previous setting comes
    back on exit, even on an error. Also usable as a decorator, as in PyTorch.
    (A class rather than a generator: it is entered on every parameter update.)"""

    __slots__ = ("previous",)
    enabled: bool

    def _recreate_cm(self) -> "_GradMode":
        return type(self)()  # a decorated function may be re-entered: one state per call

    def __enter__(self) -> None:
        current = thread_state()
        self.previous = current[0]
        current[0] = self.enabled

    def __exit__(self, *exc_info: Any) -> None:
        thread_state()[0] = self.previous


class no_grad(_GradMode):
    """Inside this block, operations compute values but record no graph.

    Like ``torch.no_grad()``: use it for parameter updates and evaluation.
    Nested blocks are fine; the previous state comes back on exit, even on an error.
    """

    __slots__ = ()
    enabled = False


class enable_grad(_GradMode):
    """Switch recording back on inside a ``no_grad()`` block."""

    __slots__ = ()
    enabled = True


class Scope:
    """A named region of the graph: every node created inside it points here.

    ``parent`` is the enclosing scope (None at the top), ``owner`` the object that
    opened it (an nn module, say), so that nodes made by the same module can be
    grouped. A plain slotted class: modules open one on every call.
    """

    __slots__ = ("name", "parent", "owner")

    def __init__(self, name: str, parent: "Scope | None" = None, owner: Any = None) -> None:
        if name.__class__ is not str:
            raise TypeError(f"Scope: name must be a str, got {type(name).__name__}: {name!r}")
        if not (parent is None or isinstance(parent, Scope)):
            raise TypeError(f"Scope: parent must be a Scope or None, got {type(parent).__name__}")
        self.name = name
        self.parent = parent
        self.owner = owner

    def __repr__(self) -> str:
        return f"Scope({self.qualname!r})"

    @property
    def path(self) -> tuple["Scope", ...]:
        """The chain of scopes from the outermost down to this one."""
        chain = []
        scope: Scope | None = self
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        return tuple(reversed(chain))

    @property
    def qualname(self) -> str:
        """Dotted names from the outermost scope, e.g. ``MLP.Layer.Neuron``."""
        return ".".join(s.name for s in self.path)


@contextlib.contextmanager
def scope(name: str, owner: Any = None) -> Iterator[Scope]:
    """Tag every node created inside the block with a new ``Scope(name)``."""
    current = thread_state()
    previous = current[1]
    inner = Scope(name, previous, owner)  # which checks the name
    current[1] = inner
    try:
        yield inner
    finally:
        thread_state()[1] = previous


# Whether a division by zero (x / 0, 0 ** -c) of Values gives +-inf or nan, as in IEEE
# arithmetic, instead of raising ZeroDivisionError: only while a derivative rule builds its
# graph (``Value.local_derivatives(create_graph=True)``), where sqrt'(0) = 0.5 / 0 is the
# infinite derivative a plain backward pass gives too. Per thread, as the recording state.
_ieee_division: "contextvars.ContextVar[bool]" = contextvars.ContextVar("autodiff_ieee_division", default=False)


def ieee_division_allowed() -> bool:
    """True inside :func:`ieee_division` (in this thread)."""
    return _ieee_division.get()


@contextlib.contextmanager
def ieee_division() -> Iterator[None]:
    """Inside the block, a Value divided by zero, or 0 raised to a negative power, is +-inf
    (nan for 0 / 0), as in IEEE arithmetic and PyTorch, instead of a ZeroDivisionError."""
    token = _ieee_division.set(True)
    try:
        yield
    finally:
        _ieee_division.reset(token)

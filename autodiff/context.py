"""Global recording state: whether operations record a graph, and which scope they belong to.

``no_grad()`` switches recording off (the result of every operation is a leaf).
``scope(name)`` tags every node created inside it, so a picture of a big graph can
collapse, say, one neuron's multiply-adds into one box (nn modules open a scope
when they are called).
"""

from __future__ import annotations

import contextlib
import gc
from typing import Any, Iterator

# Read by every operation; kept as a module global because it is on the hot path.
grad_enabled = True
current_scope: "Scope | None" = None


def is_grad_enabled() -> bool:
    """True when operations record their parents (the default)."""
    return grad_enabled


class collector_paused:
    """Pause Python's cycle collector for the block (it comes back on exit, even on an error).

    Graph nodes hold no reference cycles and are freed by reference counting, but
    while a big graph is alive the collector would still walk all of it, again and
    again, as new nodes are made. Building a graph inside a module call and running
    backward() are the two places that make most nodes, so both pause it. Nothing is
    lost: any cyclic garbage made meanwhile is collected after the block.
    (A class rather than a generator: it is entered on every backward() and module call.)
    """

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: Any) -> None:
        if self.was_enabled:
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
        global grad_enabled
        self.previous = grad_enabled
        grad_enabled = self.enabled

    def __exit__(self, *exc_info: Any) -> None:
        global grad_enabled
        grad_enabled = self.previous


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
    global current_scope
    previous = current_scope
    current_scope = Scope(str(name), previous, owner)
    try:
        yield current_scope
    finally:
        current_scope = previous

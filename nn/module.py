"""``Module``: the base of every model, scalar or tensor.

A module keeps its parameters (leaf nodes that require grad) and its submodules as
ordinary attributes, or in lists, tuples and dicts of them (named ``layers.0``,
``heads.left``); ``named_parameters()`` finds them all, in the order they were assigned.
Attributes whose names start with "_" are private (caches, bookkeeping) and never
searched. Calling a module calls ``forward`` inside an ``autodiff`` scope, so every node
it creates is tagged with the module that made it (the graph pictures use this to
collapse a neuron or a layer into one box).

Buffers are arrays that belong to the model's state but are not trained (BatchNorm's
running statistics): ``register_buffer`` names them, ``named_buffers()`` finds them, and
``state_dict()`` holds parameters and buffers alike, under PyTorch-style dotted names
(``"0.weight"``, ``"2.running_mean"``). ``save``/``load`` write and read that dictionary
as a ``.npz`` file (``nn.state``), never with pickle.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Mapping

import numpy as np

from autodiff import Value, context

from . import state


def is_parameter(obj: Any) -> bool:
    """A trainable leaf of the graph protocol: a Value, or a Tensor with requires_grad."""
    return (
        hasattr(obj, "parents")
        and hasattr(obj, "grad")
        and getattr(obj, "requires_grad", False)
        and not obj.parents
    )


def _items(container: Any) -> Iterator[tuple[Any, Any]]:
    """(key, value) of a dict, (i, item) of a list or tuple, as an iterator to resume."""
    return iter(container.items()) if isinstance(container, dict) else enumerate(container)


class Module:
    """Base class: subclasses set parameters and submodules as attributes and define ``forward``."""

    training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward() (Module is abstract)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``forward(*args, **kwargs)`` inside a scope naming this module.

        The outermost call also pauses the cycle collector while the graph is built
        (see ``autodiff.context.collector_paused``): a scalar MLP makes tens of
        thousands of nodes per batch, and the collector would walk them all repeatedly.
        """
        recording = context.thread_state()  # [grad_enabled, current_scope] of this thread
        outer = recording[1]
        recording[1] = context.Scope(type(self).__name__, outer, self)
        try:
            if outer is None:
                with context.collector_paused():
                    return self.forward(*args, **kwargs)
            return self.forward(*args, **kwargs)
        finally:
            recording[1] = outer

    # -- traversal -----------------------------------------------------------------

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, object) for every public attribute; the items of a list or tuple are
        ``name.i`` and the values of a dict ``name.key`` (PyTorch's ModuleList and
        ModuleDict names), containers inside containers too (``name.i.j``), each entered
        where it stands: a loop over a stack of the containers being read, not recursion;
        a container met again inside itself is not entered twice."""
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if not isinstance(value, (list, tuple, dict)):
                yield name, value
                continue
            entered = {id(value)}
            stack = [(name, _items(value))]
            while stack:
                prefix, items = stack[-1]
                for key, item in items:
                    if not isinstance(item, (list, tuple, dict)):
                        yield f"{prefix}.{key}", item
                    elif id(item) not in entered:
                        entered.add(id(item))
                        stack.append((f"{prefix}.{key}", _items(item)))
                        break  # the inner container first, then back to this one
                else:
                    stack.pop()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """(qualified name, module) for this module and every submodule, depth first."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._members()
                if isinstance(child, Module)
            ]
            stack.extend(reversed(children))

    def children(self) -> Iterator["Module"]:
        """The direct submodules."""
        for _, child in self._members():
            if isinstance(child, Module):
                yield child

    def named_parameters(self) -> Iterator[tuple[str, Any]]:
        """(qualified name, parameter) for every parameter, each shared one once."""
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            for name, value in module._members():
                if is_parameter(value) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{module_name}.{name}" if module_name else name), value

    def parameters(self) -> list:
        """Every parameter, in the order ``named_parameters()`` gives."""
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Keep ``value`` as the attribute ``name``, saved in the state dict but never trained."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"a buffer name must be an identifier, got {name!r}")
        setattr(self, name, np.asarray(value))
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """(qualified name, array) for every buffer of this module and its submodules."""
        for module_name, module in self.named_modules():
            for name in module.__dict__.get("_buffer_names", ()):
                yield (f"{module_name}.{name}" if module_name else name), getattr(module, name)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (Values to 0.0, Tensors to None, as PyTorch)."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    # -- modes -------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout active, batch statistics) for this module and its submodules;
        ``train(False)`` is ``eval()``. ``mode`` must be True or False (as in PyTorch)."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}.train: mode must be True or False, got {mode!r}")
        for _, module in self.named_modules():
            module.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    # -- state: parameters and buffers by name ------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Name -> a copy of the numbers: each module's parameters, then its buffers.

        Copies (PyTorch shares the storage): a state dict kept as a snapshot, say of the
        best model so far, does not change as training goes on. A scalar parameter (a
        Value) becomes a 0-d array. A shared layer or parameter appears under every name
        it has (PyTorch's rule), while ``named_parameters()`` gives it once.
        """
        slots = self._state_slots()
        return {name: np.array(getattr(owner, attribute)) for name, (owner, attribute) in slots.items()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> "Module":
        """Set every parameter and buffer from ``state_dict``; returns the module.

        Every name and shape is checked first: a missing or unexpected name, a shape
        that differs or numbers that are not real raise ``StateDictError`` listing all
        of them, and then nothing has changed. The numbers are copied, in each
        parameter's own dtype.
        """
        slots = self._state_slots()
        state.check_state_dict(state_dict, {name: np.shape(getattr(o, a)) for name, (o, a) in slots.items()})
        for name, (owner, attribute) in slots.items():
            old, value = getattr(owner, attribute), state_dict[name]
            new = float(value) if isinstance(old, float) else np.array(value, dtype=old.dtype)
            setattr(owner, attribute, new)
        return self

    def _state_slots(self) -> dict[str, tuple[Any, str]]:
        """Name -> (object, attribute) holding its numbers, module by module as PyTorch
        orders them: (parameter, "data") for each parameter, then (module, name) for
        each buffer. As in PyTorch, a module or parameter held in two places (a layer
        used twice, tied weights) is listed under each of its names, so a state dict
        loads into a model that shares it and into one that does not alike."""
        slots: dict[str, tuple[Any, str]] = {}
        stack: list[tuple[str, Module, tuple[int, ...]]] = [("", self, ())]
        while stack:
            module_name, module, ancestors = stack.pop()
            prefix = f"{module_name}." if module_name else ""
            children = []
            for name, value in module._members():
                if is_parameter(value):
                    slots[prefix + name] = (value, "data")
                elif isinstance(value, Module) and id(value) not in ancestors and value is not module:
                    children.append((prefix + name, value, (*ancestors, id(module))))
            for buffer in module.__dict__.get("_buffer_names", ()):
                slots[prefix + buffer] = (module, buffer)
            stack.extend(reversed(children))
        return slots

    def save(self, path: str | os.PathLike) -> None:
        """Write ``state_dict()`` to ``path`` as a ``.npz`` file (exactly that path)."""
        state.write_npz(path, self.state_dict())

    def load(self, path: str | os.PathLike) -> "Module":
        """Read a file written by ``save`` (pickling off) and ``load_state_dict`` it.

        A file that is not a readable ``.npz`` of plain arrays raises ``StateDictError``;
        either way, a file that does not fit the model changes nothing. Names, shapes
        and dtypes are checked from the file's headers before any array is read.
        """
        slots = self._state_slots()
        expected = {name: np.shape(getattr(owner, attribute)) for name, (owner, attribute) in slots.items()}
        return self.load_state_dict(state.read_npz(path, expected))

    # -- printing -------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The settings shown inside this module's parentheses (subclasses fill it in)."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: ``Name(settings)``, or one ``(name): child`` line per submodule."""
        children = [(name, child) for name, child in self._members() if isinstance(child, Module)]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in children:
            lines.append(f"  ({name}): " + repr(child).replace("\n", "\n  "))
        return "\n".join(lines) + "\n)"

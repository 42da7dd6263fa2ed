"""``Module``: the base of every model, scalar or tensor.

A module keeps its parameters (leaf nodes that require grad) and its submodules as
ordinary attributes, or in lists and tuples of them; ``named_parameters()`` finds them
all, in the order they were assigned. Calling a module calls ``forward`` inside an
``autodiff`` scope, so every node it creates is tagged with the module that made it
(the graph pictures use this to collapse a neuron or a layer into one box).
"""

from __future__ import annotations

from typing import Any, Iterator

from autodiff import Value, context


def is_parameter(obj: Any) -> bool:
    """A trainable leaf of the graph protocol: a Value, or a Tensor with requires_grad."""
    return (
        hasattr(obj, "parents")
        and hasattr(obj, "grad")
        and getattr(obj, "requires_grad", False)
        and not obj.parents
    )


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
        previous = context.current_scope
        context.current_scope = context.Scope(type(self).__name__, previous, self)
        try:
            if previous is None:
                with context.collector_paused():
                    return self.forward(*args, **kwargs)
            return self.forward(*args, **kwargs)
        finally:
            context.current_scope = previous

    # -- traversal -----------------------------------------------------------------

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, object) for every attribute, with list/tuple items as ``name.i``."""
        for name, value in vars(self).items():
            if isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    yield f"{name}.{i}", item
            else:
                yield name, value

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

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (Values to 0.0, Tensors to None, as PyTorch)."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    # -- modes -------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout active, batch statistics) for this module and its submodules."""
        for _, module in self.named_modules():
            module.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

"""``Sequential``: modules applied one after another, each to the previous one's output."""

from __future__ import annotations

from typing import Any, Iterator

from .module import Module


class Sequential(Module):
    """``Sequential(Linear(2, 16), ReLU(), Linear(16, 1))(x)`` is the three applied in turn.

    The modules are its attributes ``"0"``, ``"1"``, ..., so parameter names read
    ``"0.weight"``, ``"2.bias"``, as in PyTorch. Indexing gives a module (an int) or a
    new Sequential of the same modules (a slice); ``len`` and iteration work as on a list.
    """

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if isinstance(module, type) and issubclass(module, Module):
                raise TypeError(
                    f"Sequential: modules[{i}] is the class {module.__name__}, not a module made from it: "
                    f"write {module.__name__}() (with its arguments, if it takes any)"
                )
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: modules[{i}] must be a Module, got {type(module).__name__}")
            setattr(self, str(i), module)
        self._modules_in_order = modules

    def forward(self, x: Any) -> Any:
        for module in self._modules_in_order:
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self._modules_in_order[index])
        return self._modules_in_order[index]

    def __len__(self) -> int:
        return len(self._modules_in_order)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules_in_order)

"""The random generator a layer or initializer draws from."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def as_generator(rng: Any, owner: str) -> np.random.Generator:
    """``rng`` itself (a ``numpy.random.Generator``), a new generator seeded with it (an
    int), or an unseeded one (None). Pass a generator or a seed to reproduce a run exactly."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{owner}: rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )

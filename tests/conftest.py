"""Shared test helpers."""

from __future__ import annotations

import tracemalloc
from typing import Callable

import pytest


def _peak_bytes(action: Callable[[], object]) -> int:
    """The most memory Python allocated while ``action()`` ran (tracemalloc's peak)."""
    tracemalloc.start()
    try:
        action()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.fixture
def peak_bytes() -> Callable[[Callable[[], object]], int]:
    """``peak_bytes(action)``: the peak memory ``action()`` allocated, for tests that a
    hostile file is refused before any large allocation."""
    return _peak_bytes

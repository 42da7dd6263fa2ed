"""The shared pieces of the argument sweeps (tests/test_*_sweep.py): bad values by the kind
of argument they are bad for, and the one assertion every sweep makes.

An entry point is a function of keyword arguments with a set of valid ones and, for each
argument, the kind of value it takes ("finite", "nonneg", "count", "flag", ...). The sweep
replaces one argument at a time with a value hypothesis draws from the bad values of its
kind, and requires a TypeError or ValueError (or an error the entry lists as documented,
such as IndexError for an index) whose message names the argument.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

# values that are not a real number; a bool is refused where a number is wanted (True is 1 by accident)
NOT_NUMBERS = st.one_of(
    st.sampled_from([None, "3", "x", "", [], [1.0], (0.5,), {}, object(), b"1", True, False, np.bool_(True),
                     np.array([1.0, 2.0]), 1j, complex(1, 0)]),
    st.text(max_size=4),
    st.complex_numbers(allow_nan=False, min_magnitude=1e-3),
    st.lists(st.floats(allow_nan=False), min_size=2, max_size=3),
)
NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf, np.float64("nan")])
NEGATIVE = st.one_of(st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
                     st.integers(max_value=-1))
NOT_WHOLE = st.one_of(
    st.sampled_from([None, "3", "", [], [2], {}, object(), 2.0, 2.5, math.nan, math.inf, True, False, np.bool_(True),
                     1j, np.array([2, 3])]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
)
NOT_FLAGS = st.sampled_from([None, 0, 1, 2, 0.0, 1.0, "True", "False", "", "yes", [], [True], {}, object(), math.nan])
NOT_TEXT = st.sampled_from([None, 0, 1, 1.5, True, [], ["x"], {}, object(), b"x"])
NOT_CALLABLE = st.sampled_from([None, 0, 1.5, "f", "", [], [len], {}, True, np.ones(2)])
NOT_NODES = st.sampled_from([None, 0, 1.5, "x", "", [], [1.0], {}, True, object(), np.ones(2), np.float64(1.0)])


def _above(low: float) -> st.SearchStrategy:
    return st.floats(min_value=low, allow_nan=False, allow_infinity=False, exclude_min=False)


BAD = {
    "real": NOT_NUMBERS,  # any real number, nan and inf included (IEEE arithmetic)
    "finite": st.one_of(NOT_NUMBERS, NOT_FINITE),
    "nonneg": st.one_of(NOT_NUMBERS, NOT_FINITE, NEGATIVE),
    "positive": st.one_of(NOT_NUMBERS, NOT_FINITE, NEGATIVE, st.sampled_from([0, 0.0, -0.0])),
    "unit": st.one_of(NOT_NUMBERS, NOT_FINITE, NEGATIVE, _above(1.0), st.just(1)),  # [0, 1)
    "prob": st.one_of(NOT_NUMBERS, NOT_FINITE, NEGATIVE, _above(1.0 + 1e-9)),  # [0, 1]
    "whole": NOT_WHOLE,  # any int
    "count": st.one_of(NOT_WHOLE, st.integers(max_value=0)),  # an int >= 1
    "index": st.one_of(NOT_WHOLE, st.integers(max_value=-1)),  # an int >= 0
    "flag": NOT_FLAGS,
    "text": NOT_TEXT,
    "callable": NOT_CALLABLE,
    "node": NOT_NODES,
}


def bad_values(kind: Any) -> st.SearchStrategy:
    """The bad values of ``kind``: a name from BAD, a strategy, or a list of values."""
    if isinstance(kind, st.SearchStrategy):
        return kind
    if isinstance(kind, (list, tuple)):
        return st.sampled_from(list(kind))
    return BAD[kind]


def first_value(strategy: st.SearchStrategy) -> Any:
    """The simplest value a strategy holds, drawn deterministically (hypothesis shrinks towards it)."""
    found = []

    @settings(max_examples=1, database=None, derandomize=True)
    @given(strategy)
    def draw(value: Any) -> None:
        found.append(value)

    draw()
    return found[0]


def calls(entry_points: dict) -> list[tuple[str, str]]:
    """Every (entry point, argument) pair to sweep."""
    return [(name, argument) for name, entry in entry_points.items() for argument in entry["kinds"]]


def assert_refused(name: str, function: Callable, arguments: dict, argument: str, value: Any,
                   also: tuple = ()) -> None:
    """``function(**arguments)`` with ``argument`` set to ``value`` raises a TypeError or
    ValueError (or one of ``also``) whose message names ``argument`` as a word."""
    expected = (TypeError, ValueError, *also)
    try:
        function(**{**arguments, argument: value})
    except expected as error:
        message = str(error)
        assert re.search(rf"(?<![\w]){re.escape(argument)}(?![\w])", message), (
            f"{name}({argument}={value!r}): {type(error).__name__} does not name {argument!r}: {message}"
        )
    except Exception as error:  # noqa: BLE001 - any other kind is the bug being looked for
        raise AssertionError(f"{name}({argument}={value!r}) raised {type(error).__name__}: {error}") from error
    else:
        raise AssertionError(f"{name}({argument}={value!r}) was accepted")

"""State dictionaries on disk and their checks: ``.npz`` files, written and read without pickle.

A state dict maps dotted names (``"0.weight"``, ``"1.running_mean"``) to arrays. A file
is a zip of ``.npy`` arrays, one per name, as ``numpy.savez`` writes it, so
``numpy.load(path)`` opens it too. Reading never unpickles (``allow_pickle=False``): a
file holding Python objects is refused, not run.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any, Mapping

import numpy as np


class StateDictError(ValueError):
    """A state dict or state file that does not fit the model, or cannot be read."""


def check_state_dict(state_dict: Mapping[str, Any], expected: Mapping[str, tuple]) -> None:
    """Raise ``StateDictError`` listing every missing name, unexpected name, shape that
    differs from ``expected`` (name -> shape) and value that is not an array of real numbers."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"a state dict must be a mapping of names to arrays, got {type(state_dict).__name__}")
    problems = [f"missing: {name!r}" for name in expected if name not in state_dict]
    problems += [f"unexpected: {name!r}" for name in state_dict if name not in expected]
    for name, shape in expected.items():
        if name not in state_dict:
            continue
        value = np.asarray(state_dict[name])
        if value.dtype.kind not in "fiu":
            problems.append(f"not real numbers: {name!r} has dtype {value.dtype}")
        elif value.shape != tuple(shape):
            problems.append(f"shape of {name!r}: given {value.shape}, the model has {tuple(shape)}")
    if problems:
        raise StateDictError(
            f"the state dict does not fit the model ({len(problems)} problem{'s' * (len(problems) > 1)}); "
            "nothing was changed:\n  " + "\n  ".join(problems)
        )


def write_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` (that exact name) as an uncompressed ``.npz``.

    The file is written beside its destination and then moved into place, so an
    interrupted save leaves the previous file whole.
    """
    path = os.fspath(path)
    partial = path + ".partial"
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Name -> array from a ``.npz`` file. ``StateDictError`` when it is not one: a
    truncated or damaged file, a single ``.npy`` array, arrays of pickled Python objects."""
    path = os.fspath(path)
    with open(path, "rb") as file:  # a missing file is a FileNotFoundError, as usual
        magic = file.read(6)
    if magic == b"\x93NUMPY":
        raise StateDictError(f"{path!r} holds a single .npy array, not a .npz state file of named arrays")
    if not zipfile.is_zipfile(path):
        raise StateDictError(f"{path!r} is not a .npz state file (not a zip archive: truncated, or not .npz)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise StateDictError(f"{path!r} is a damaged or unsafe .npz state file: {error}") from None

"""State dictionaries on disk and their checks: ``.npz`` files, written and read without pickle.

A state dict maps dotted names (``"0.weight"``, ``"1.running_mean"``) to arrays. A file
is a zip of ``.npy`` arrays, one per name, as ``numpy.savez`` writes it, so
``numpy.load(path)`` opens it too. Reading never unpickles (``allow_pickle=False``): a
file holding Python objects is refused, not run.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import zipfile
from typing import Any, Mapping

import numpy as np


class StateDictError(ValueError):
    """A state dict or state file that does not fit the model, or cannot be read."""


def check_state_dict(state_dict: Mapping[str, Any], expected: Mapping[str, tuple], described: bool = False) -> None:
    """Raise ``StateDictError`` listing every missing name, unexpected name, shape that
    differs from ``expected`` (name -> shape) and value that is not an array of real numbers.

    ``described``: the values are (shape, dtype) pairs, as a file's headers give them,
    rather than the arrays."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"a state dict must be a mapping of names to arrays, got {type(state_dict).__name__}")
    problems = [f"missing: {name!r}" for name in expected if name not in state_dict]
    problems += [f"unexpected: {name!r}" for name in state_dict if name not in expected]
    for name, shape in expected.items():
        if name not in state_dict:
            continue
        if described:
            given_shape, given_dtype = state_dict[name]
        else:
            value = np.asarray(state_dict[name])
            given_shape, given_dtype = value.shape, value.dtype
        if not described and given_dtype.hasobject and hasattr(state_dict[name], "data"):
            # a graph node (a Tensor or a Value), or an object holding its numbers in .data
            kind = type(state_dict[name]).__name__
            problems.append(f"not an array: {name!r} is a {kind}; give its numbers (its .data)")
        elif given_dtype.kind not in "fiu":
            problems.append(f"not real numbers: {name!r} has dtype {given_dtype}")
        elif given_shape != tuple(shape):
            problems.append(f"shape of {name!r}: given {given_shape}, the model has {tuple(shape)}")
    if problems:
        raise StateDictError(
            f"the state dict does not fit the model ({len(problems)} problem{'s' * (len(problems) > 1)}); "
            "nothing was changed:\n  " + "\n  ".join(problems)
        )


def _file_mode() -> int:
    """The permissions a new file gets here (0o666 less the umask), as ``open`` would give it."""
    with _UMASK_LOCK:
        umask = os.umask(0)
        os.umask(umask)
    return 0o666 & ~umask


_UMASK_LOCK = threading.Lock()


def write_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` (that exact name) as an uncompressed ``.npz``.

    The file is written under a unique temporary name in the same folder
    (``tempfile.mkstemp``) and then moved into place (``os.replace``), so an interrupted
    save leaves the previous file whole, and no other file (a ``m.npz.partial`` of the
    user's own, say) is touched.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as file:
            with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for member_name, array in arrays.items():
                    with archive.open(f"{member_name}.npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
        os.chmod(temporary, _file_mode())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# deflate never shrinks data more than about 1032 to 1: a member whose header promises
# more bytes than that allows is lying, whatever its zip entry says
_MAX_DEFLATE_RATIO = 1032
_MAX_HEADER = 10_000


def _member_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, archive_size: int
                   ) -> tuple[tuple[int, ...], np.dtype]:
    """The (shape, dtype) a member's ``.npy`` header declares, after checking that the
    member can hold that many bytes; reads the header only, never the array."""
    where = f"{path!r}, member {info.filename!r}"
    if info.compress_size > archive_size:
        raise StateDictError(f"{where}: the zip entry claims more bytes than the file has (truncated or forged)")
    room = info.file_size
    if info.compress_type != zipfile.ZIP_STORED:
        room = min(room, info.compress_size * _MAX_DEFLATE_RATIO)
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member, max_header_size=_MAX_HEADER)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member, max_header_size=_MAX_HEADER)
            else:
                raise StateDictError(f"{where}: .npy format version {version} is not one numpy.save writes for numbers")
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        if isinstance(error, StateDictError):
            raise
        raise StateDictError(
            f"{path!r} is a damaged or unsafe .npz state file: {error} (member {info.filename!r})"
        ) from None
    if dtype.hasobject:
        raise StateDictError(
            f"{where} holds pickled Python objects (dtype {dtype}); a state file is never unpickled"
        )
    declared = math.prod(shape) * dtype.itemsize
    if declared > room:
        raise StateDictError(
            f"{where}: the header declares shape {shape} of {dtype} ({declared} bytes) but the member "
            f"holds at most {room} bytes: a truncated or forged file"
        )
    return tuple(shape), dtype


def read_npz(path: str | os.PathLike, expected: Mapping[str, tuple] | None = None) -> dict[str, np.ndarray]:
    """Name -> array from a ``.npz`` file. ``StateDictError`` when it is not one: a
    truncated or damaged file, a single ``.npy`` array, arrays of pickled Python objects,
    a member whose header declares more numbers than the file can hold.

    Every member's name, shape and dtype are read from its ``.npy`` header, and checked,
    before any array is: with ``expected`` (name -> shape, what the model holds) a file
    that does not fit is refused listing every problem without inflating a single
    member, so a small file with a huge member costs no memory.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:  # a missing file is a FileNotFoundError, as usual
        magic = file.read(6)
        archive_size = os.fstat(file.fileno()).st_size
    if magic == b"\x93NUMPY":
        raise StateDictError(f"{path!r} holds a single .npy array, not a .npz state file of named arrays")
    if not zipfile.is_zipfile(path):
        raise StateDictError(f"{path!r} is not a .npz state file (not a zip archive: truncated, or not .npz)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            strays = [info.filename for info in infos if not info.filename.endswith(".npy")]
            if strays:
                raise StateDictError(f"{path!r} is not a .npz state file: members {strays} are not .npy arrays")
            headers = {info.filename[: -len(".npy")]: _member_header(archive, info, path, archive_size)
                       for info in infos}
            if expected is not None:
                check_state_dict(headers, expected, described=True)
            arrays = {}
            for info in infos:
                with archive.open(info) as member:
                    arrays[info.filename[: -len(".npy")]] = np.lib.format.read_array(member, allow_pickle=False)
            return arrays
    except StateDictError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise StateDictError(f"{path!r} is a damaged or unsafe .npz state file: {error}") from None

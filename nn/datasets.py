"""Data sets: small 2-D toy problems to draw decision boundaries on, and handwritten digits.

The toy makers need only numpy, take ``rng`` (a Generator, an int seed or None for nn's global generator) and
return ``(X, y)``: X of shape (n_samples, n_features) in float64, y the int64 class of
each row (the target, in float64, for ``make_regression``). ``noise`` is the standard
deviation of Gaussian noise added to every coordinate. Their signatures follow
scikit-learn's, and with no noise and no shuffle ``make_moons`` and ``make_circles``
give exactly scikit-learn's points.

- ``make_moons``: two interleaving half circles;
- ``make_circles``: a circle inside another;
- ``make_spirals``: K interleaved spiral arms (CS231n's classic);
- ``make_blobs``: Gaussian clusters;
- ``make_xor``: the four quadrants, opposite ones alike (no line separates the classes);
- ``make_regression``: a noisy linear target.

The digits:

- ``load_digits()``: 1797 images of 8×8 pixels (values 0-16), the copy that ships with
  scikit-learn (needed only for this function).
- ``load_mnist()``: the 70000 28×28 MNIST images, read from the original IDX files with
  ``read_idx`` (no pickle anywhere), downloaded once into a cache directory and checked
  against their SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import numbers
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .progress import progress_bar
from .rng import as_generator

# -- toy data sets ----------------------------------------------------------------------------


def _check_n(value: Any, name: str = "n_samples", minimum: int = 1) -> int:
    """``value`` as an int, or ``ValueError`` naming ``name`` unless it is an integer >= ``minimum``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_real(value: Any, name: str) -> float:
    """``value`` as a float, or ``ValueError`` naming ``name`` unless it is a finite number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _check_noise(noise: Any) -> float:
    """A standard deviation: a finite number >= 0."""
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0 <= noise < math.inf:
        raise ValueError(f"noise must be a finite standard deviation >= 0, got {noise!r}")
    return float(noise)


def _finish(
    X: np.ndarray, y: np.ndarray, noise: float, shuffle: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the rows (if asked), then add N(0, noise²) to every coordinate."""
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    if noise > 0:
        X = X + rng.normal(0.0, noise, X.shape)
    return X, y


def make_moons(
    n_samples: int = 100, noise: float = 0.0, shuffle: bool = True, rng: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles of radius 1.

    Class 0 (⌊n/2⌋ points): (cos θ, sin θ) for θ evenly spaced in [0, π]; class 1 (the
    rest): (1 - cos θ, 1/2 - sin θ), the same arc turned over and shifted.
    """
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    n_out = n // 2
    n_in = n - n_out
    outer = np.linspace(0.0, math.pi, n_out)
    inner = np.linspace(0.0, math.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    return _finish(X, y, noise, shuffle, as_generator(rng, "make_moons"))


def make_circles(
    n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, shuffle: bool = True, rng: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius ``factor`` (class 1) inside the unit circle (class 0).

    Class 0 has ⌊n/2⌋ points, class 1 the rest, each evenly spaced around its circle
    (θ_i = 2πi/m, i = 0..m-1).
    """
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    if not isinstance(factor, numbers.Real) or not 0 <= factor < 1:
        raise ValueError(f"factor (inner radius over outer) must be in [0, 1), got {factor!r}")
    n_out = n // 2
    n_in = n - n_out
    outer = np.linspace(0.0, 2 * math.pi, n_out, endpoint=False)
    inner = np.linspace(0.0, 2 * math.pi, n_in, endpoint=False)
    X = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            factor * np.stack([np.cos(inner), np.sin(inner)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    return _finish(X, y, noise, shuffle, as_generator(rng, "make_circles"))


def _split_evenly(n: int, parts: int) -> np.ndarray:
    """Sizes of ``parts`` groups of n: ⌊n/parts⌋ each, the first n mod parts one more."""
    sizes = np.full(parts, n // parts)
    sizes[: n % parts] += 1
    return sizes


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 2,
    noise: float = 0.0,
    turns: float = 1.0,
    shuffle: bool = True,
    rng: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` spiral arms winding out of the origin, one class per arm.

    Arm c has points at radius r evenly spaced in [0, 1] and angle
    θ = 2π(c/K + turns·r): (r cos θ, r sin θ). The arms are rotated copies of each
    other, interleaved, so no straight line (nor a small net) separates them easily.
    Classes get ⌊n/K⌋ points each, the first n mod K one more.
    """
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    n_classes = _check_n(n_classes, "n_classes", 2)
    if n_classes > n:
        raise ValueError(f"n_classes={n_classes} arms need at least {n_classes} samples, got n_samples={n}")
    if _check_real(turns, "turns") <= 0:
        raise ValueError(f"turns must be a number > 0, got {turns!r}")
    points, labels = [], []
    for c, m in enumerate(_split_evenly(n, n_classes)):
        r = np.linspace(0.0, 1.0, m)
        theta = 2 * math.pi * (c / n_classes + turns * r)
        points.append(np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1))
        labels.append(np.full(m, c, np.int64))
    X, y = np.concatenate(points), np.concatenate(labels)
    return _finish(X, y, noise, shuffle, as_generator(rng, "make_spirals"))


def make_blobs(
    n_samples: int | Sequence[int] = 100,
    centers: int | Any = 3,
    n_features: int = 2,
    cluster_std: float | Sequence[float] = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    rng: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters: class k is N(center_k, cluster_std_k² I).

    ``centers``: a number K of centers drawn uniformly from ``center_box`` in each of
    ``n_features`` coordinates, or the centers themselves, shape (K, d).
    ``n_samples``: a total, split evenly (the first n mod K clusters get one more), or
    one count per cluster. ``cluster_std``: one standard deviation, or one per cluster.
    """
    generator = as_generator(rng, "make_blobs")
    centers = _blob_centers(centers, n_features, center_box, generator)
    k, d = centers.shape
    sizes = _blob_sizes(n_samples, k)
    stds = _blob_stds(cluster_std, k)
    X = np.concatenate([generator.normal(c, s, (m, d)) for c, s, m in zip(centers, stds, sizes)])
    y = np.repeat(np.arange(k, dtype=np.int64), sizes)
    return _finish(X, y, 0.0, shuffle, generator)


def _blob_centers(
    centers: Any, n_features: Any, center_box: Any, generator: np.random.Generator
) -> np.ndarray:
    """The (K, d) centers: given, or K drawn uniformly from ``center_box`` in d = n_features coordinates."""
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = _check_n(centers, "centers")
        d = _check_n(n_features, "n_features")
        if not (isinstance(center_box, (tuple, list)) and len(center_box) == 2):
            raise ValueError(f"center_box must be a pair (low, high), got {center_box!r}")
        low, high = (_check_real(bound, "center_box") for bound in center_box)
        if low > high:
            raise ValueError(f"center_box must be (low, high) with low <= high, got {center_box!r}")
        return generator.uniform(low, high, (k, d))
    try:
        array = np.asarray(centers, dtype=float)
    except (TypeError, ValueError):
        array = np.empty(0)
    if array.ndim != 2 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"centers must be a count or a finite array of shape (K, d), got {centers!r}")
    return array


def _blob_sizes(n_samples: Any, k: int) -> np.ndarray:
    """Points per cluster: a total split evenly, or one count per cluster (at least one point in all)."""
    if np.ndim(n_samples) == 0:  # a total (anything else that is not a list is refused there)
        return _split_evenly(_check_n(n_samples), k)
    sizes = np.asarray(n_samples)
    if sizes.shape != (k,) or sizes.dtype.kind not in "iu" or np.any(sizes < 0) or sizes.sum() == 0:
        raise ValueError(
            f"n_samples must be a total >= 1 or {k} counts >= 0 (one per center, not all 0), "
            f"got {n_samples!r}"
        )
    return sizes


def _blob_stds(cluster_std: Any, k: int) -> np.ndarray:
    """One standard deviation per cluster, each finite and >= 0."""
    try:
        stds = np.asarray(cluster_std, dtype=float)
    except (TypeError, ValueError):
        stds = np.full(k + 1, np.nan)  # refused below
    if stds.ndim > 1 or (stds.ndim == 1 and len(stds) != k) or not np.all((stds >= 0) & np.isfinite(stds)):
        raise ValueError(
            f"cluster_std must be finite and >= 0, one value or {k} (one per center), got {cluster_std!r}"
        )
    return np.broadcast_to(stds, (k,))


def make_xor(
    n_samples: int = 100, noise: float = 0.0, shuffle: bool = True, rng: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square [-1, 1]², class 1 where exactly one coordinate is positive,
    y = I(x₁ > 0) xor I(x₂ > 0): the problem a single linear layer cannot solve.

    Each quadrant gets a quarter of the points (the first n mod 4 quadrants, counted
    anticlockwise from (+, +), one more), uniform in it, so the classes are balanced.
    The class is that of the point before the noise is added.
    """
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    generator = as_generator(rng, "make_xor")
    signs = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    quadrant = np.repeat(np.arange(4), _split_evenly(n, 4))
    X = signs[quadrant] * (1.0 - generator.uniform(0.0, 1.0, (n, 2)))  # magnitudes in (0, 1]
    y = (quadrant % 2).astype(np.int64)  # (-, +) and (+, -) are class 1
    return _finish(X, y, noise, shuffle, generator)


def make_regression(
    n_samples: int = 100,
    n_features: int = 1,
    noise: float = 0.0,
    bias: float = 0.0,
    coef: bool = False,
    rng: Any = None,
) -> tuple[np.ndarray, ...]:
    """A linear target: y = X·w + b + ε with X ~ N(0, I), ε ~ N(0, noise²).

    Each weight has a magnitude uniform in [1, 2] and a random sign, so every feature
    matters. Returns ``(X, y)``, y of shape (n_samples,), or ``(X, y, w)`` with
    ``coef=True``. Here ``noise`` is on the target, not on X.
    """
    n = _check_n(n_samples)
    n_features = _check_n(n_features, "n_features")
    noise = _check_noise(noise)
    bias = _check_real(bias, "bias")
    generator = as_generator(rng, "make_regression")
    X = generator.normal(size=(n, n_features))
    w = generator.uniform(1.0, 2.0, n_features) * generator.choice([-1.0, 1.0], n_features)
    y = X @ w + bias + (generator.normal(0.0, noise, n) if noise > 0 else 0.0)
    return (X, y, w) if coef else (X, y)


# -- the 8×8 digits ---------------------------------------------------------------------------


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8×8 handwritten digits that ship with scikit-learn: X of shape (1797, 64),
    float64 pixel values 0-16 (row-major, ``X[i].reshape(8, 8)`` is the image), y the
    digit 0-9 as int64.

    scikit-learn is needed for this function only; without it, ``ImportError`` says how
    to install it (or use ``load_mnist``).
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as error:
        raise ImportError(
            "nn.datasets.load_digits reads the 8x8 digits that ship with scikit-learn, which is not "
            "installed: pip install scikit-learn (or pip install 'backprop-lab[dev]'); "
            "nn.datasets.load_mnist needs no extra package"
        ) from error
    digits = sklearn_digits()
    return np.asarray(digits.data, dtype=np.float64), np.asarray(digits.target, dtype=np.int64)


# -- IDX files --------------------------------------------------------------------------------


class IDXError(ValueError):
    """A file that is not a well-formed IDX file (or a damaged gzip of one)."""


class ChecksumError(ValueError):
    """A file whose SHA-256 is not the expected one."""


class DownloadError(OSError):
    """A file that could not be downloaded from any of its addresses."""


# the type byte of an IDX header -> big-endian numpy dtype
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CHUNK = 1 << 20
# deflate shrinks data at most about 1032 to 1: a gzip file promising more is lying
_MAX_DEFLATE_RATIO = 1032


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (the format of the MNIST files), gzipped or not.

    Layout, all big-endian: two zero bytes; a type byte (0x08 uint8, 0x09 int8,
    0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64); a byte d, the number of
    dimensions; d unsigned 32-bit sizes; then the prod(sizes) values, row-major.
    A gzip file is recognised by its first two bytes (1f 8b), not by its name.

    ``IDXError`` when the header is malformed or the data is shorter or longer than
    the header says (a truncated download), or the gzip stream is damaged. The size the
    header declares is checked against the file's size before any data is read (a gzip
    file holds at most 1032 times its size), so a tiny file declaring 10^9 items is
    refused at once; and never more than the promised number of bytes (plus one) is read.
    """
    path = Path(path)
    with open(path, "rb") as raw:  # a missing file is a FileNotFoundError, as usual
        compressed = raw.read(2) == b"\x1f\x8b"
        file_size = os.fstat(raw.fileno()).st_size
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as file:
            header = file.read(4)
            if len(header) < 4 or header[:2] != b"\x00\x00":
                raise IDXError(
                    f"{path}: not an IDX file (it must start with two zero bytes, a type and a rank)"
                )
            type_code, ndim = header[2], header[3]
            if type_code not in IDX_TYPES:
                raise IDXError(f"{path}: unknown IDX data type 0x{type_code:02x}")
            if ndim == 0:
                raise IDXError(f"{path}: an IDX file needs at least one dimension, the header says 0")
            dims_bytes = file.read(4 * ndim)
            if len(dims_bytes) < 4 * ndim:
                raise IDXError(f"{path}: truncated IDX header ({ndim} dimensions announced)")
            dims = struct.unpack(f">{ndim}I", dims_bytes)
            dtype = np.dtype(IDX_TYPES[type_code])
            expected = math.prod(dims) * dtype.itemsize
            room = file_size * _MAX_DEFLATE_RATIO if compressed else file_size - 4 - 4 * ndim
            if expected > room:
                raise IDXError(
                    f"{path}: truncated: the header promises {dims} values of {dtype.itemsize} byte(s), "
                    f"{expected} bytes of data, more than a {'gzip ' if compressed else ''}file of "
                    f"{file_size} bytes can hold (at most {room}); refused before reading the data"
                )
            data = _read_at_most(file, expected + 1)
    except (OSError, EOFError, zlib.error) as error:
        what = "damaged gzip stream" if compressed else "unreadable file"
        raise IDXError(f"{path}: {what} ({error})") from None
    if len(data) != expected:
        if len(data) < expected:
            problem, found = "truncated", f"only {len(data)}"
        else:
            problem, found = "longer than its header says", "more"
        raise IDXError(
            f"{path}: {problem}: the header promises {dims} values of {dtype.itemsize} byte(s), "
            f"{expected} bytes of data, and the file has {found}"
        )
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _read_at_most(file: Any, limit: int) -> bytes:
    chunks, total = [], 0
    while total < limit:
        chunk = file.read(min(_CHUNK, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def sha256_of(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(
    url: str, destination: str | os.PathLike, sha256: str | None, progress: bool = True, timeout: float = 60.0
) -> Path:
    """Download ``url`` to ``destination``, checking its SHA-256; returns the path.

    The bytes go to a temporary file of a unique name beside ``destination`` first, with
    a progress bar where one is seen (``nn.progress``; ``progress=False`` hides it), and
    are moved into place only when the whole file has arrived and its SHA-256 is
    ``sha256`` (None skips the check); no file of the user's is touched but
    ``destination``. Otherwise the temporary file is deleted and ``ChecksumError`` (wrong hash) or ``DownloadError``
    (no connection, HTTP error, ...) is raised. Any ``urllib`` address works,
    ``file://`` included.
    """
    destination = Path(destination)
    digest = hashlib.sha256()
    partial = None
    try:
        descriptor, name = tempfile.mkstemp(prefix=destination.name + ".", suffix=".partial", dir=destination.parent)
        partial = Path(name)
        with os.fdopen(descriptor, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            total = response.headers.get("Content-Length")
            with progress_bar(
                progress,
                total=int(total) if total else None,
                unit="B",
                unit_scale=True,
                desc=destination.name,
                leave=False,
            ) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        if sha256 is not None and digest.hexdigest() != sha256.lower():
            raise ChecksumError(
                f"{url}: SHA-256 mismatch, expected {sha256.lower()}, got {digest.hexdigest()}; "
                "the download was discarded"
            )
        os.replace(partial, destination)
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(f"could not download {url}: {error}") from None
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
    return destination


# -- MNIST ------------------------------------------------------------------------------------

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
_MNIST_PARTS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def cache_dir(name: str) -> Path:
    """Where downloaded data set ``name`` is kept: ``$BACKPROP_LAB_CACHE/name``, or
    ``~/.cache/backprop-lab/name`` when that variable is not set."""
    root = os.environ.get("BACKPROP_LAB_CACHE") or Path.home() / ".cache" / "backprop-lab"
    return Path(root) / name


def load_mnist(
    path: str | os.PathLike | None = None,
    download: bool = True,
    *,
    base_url: str | Sequence[str] | None = None,
    sha256: Mapping[str, str] | None = None,
    flatten: bool = True,
    normalize: bool = True,
    progress: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST as ``((X_train, y_train), (X_test, y_test))``: 60000 and 10000 images.

    X has shape (N, 784) (``flatten=False``: (N, 28, 28)), float32 in [0, 1]
    (``normalize=False``: the raw uint8 pixels 0-255); y is the digit, int64.

    ``path`` is the directory holding the four files ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``,
    each gzipped (``.gz``, preferred) or not; by default the cache directory
    (``cache_dir("mnist")``: ``$BACKPROP_LAB_CACHE/mnist`` or ``~/.cache/backprop-lab/mnist``).
    A missing file is downloaded there when ``download`` is True (else
    ``FileNotFoundError``), trying each address of ``base_url`` in turn (default
    ``MNIST_MIRRORS``; a ``file://`` address works too).

    Every ``.gz`` file, downloaded or found, must have the SHA-256 given for its name in
    ``sha256`` (default ``MNIST_SHA256``; a name missing from a mapping you pass is not
    checked, so ``base_url`` and ``sha256`` together load another data set in MNIST's
    files, e.g. Fashion-MNIST). Every file is read with ``read_idx`` and must hold
    3-D uint8 images and 1-D labels 0-9 of the same count.

    A download with the wrong hash is never kept. A bad file found in the cache
    directory (wrong hash, damaged, wrong shape) is deleted, so the next call downloads
    it afresh; a bad file in a directory you passed as ``path`` is left alone. Either
    way the error (``ChecksumError``, ``IDXError``) names the file and the problem.
    """
    directory = cache_dir("mnist") if path is None else Path(path)
    owned = path is None
    hashes = MNIST_SHA256 if sha256 is None else dict(sha256)
    if base_url is None:
        mirrors = MNIST_MIRRORS
    else:
        mirrors = (base_url,) if isinstance(base_url, str) else tuple(base_url)
    arrays = {}
    for part, (images_name, labels_name) in _MNIST_PARTS.items():
        for name in (images_name, labels_name):
            file = _mnist_file(directory, name, download, mirrors, hashes, progress)
            arrays[name] = _checked_read(file, hashes, owned)
        images, labels = arrays[images_name], arrays[labels_name]
        problem = _mnist_problem(images, labels)
        if problem:
            message = f"{directory}: the MNIST {part} files do not fit together: {problem}"
            if owned:
                for name in (images_name, labels_name):
                    for candidate in (directory / f"{name}.gz", directory / name):
                        candidate.unlink(missing_ok=True)
                message += "; they were deleted, call load_mnist again to download them afresh"
            raise IDXError(message)
    result = []
    for images_name, labels_name in _MNIST_PARTS.values():
        X = arrays[images_name]
        if flatten:
            X = X.reshape(len(X), -1)
        if normalize:
            X = X.astype(np.float32) / np.float32(255)
        result.append((X, arrays[labels_name].astype(np.int64)))
    return result[0], result[1]


def _mnist_file(
    directory: Path,
    name: str,
    download_missing: bool,
    mirrors: Sequence[str],
    hashes: Mapping[str, str],
    progress: bool,
) -> Path:
    """``name.gz`` or ``name`` in ``directory``, downloading ``name.gz`` when neither exists."""
    for candidate in (directory / f"{name}.gz", directory / name):
        if candidate.is_file():
            return candidate
    if not download_missing:
        raise FileNotFoundError(
            f"MNIST file {name}(.gz) is not in {directory}; "
            "pass download=True, or put the four IDX files there"
        )
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.gz"
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + target.name
        try:
            return download_file(url, target, hashes.get(target.name), progress)
        except (DownloadError, ChecksumError) as error:
            failures.append(str(error))
    raise DownloadError(f"could not download {target.name} from any mirror:\n  " + "\n  ".join(failures))


def _checked_read(file: Path, hashes: Mapping[str, str], owned: bool) -> np.ndarray:
    """``read_idx(file)`` after checking a ``.gz`` file's SHA-256; a bad file in the cache is deleted."""
    try:
        expected = hashes.get(file.name)
        if expected is not None and file.suffix == ".gz":
            actual = sha256_of(file)
            if actual != expected.lower():
                raise ChecksumError(f"{file}: SHA-256 mismatch, expected {expected.lower()}, got {actual}")
        return read_idx(file)
    except (ChecksumError, IDXError) as error:
        if not owned:
            raise
        file.unlink(missing_ok=True)
        message = f"{error}; the file was deleted, call load_mnist again to download it afresh"
        raise type(error)(message) from None


def _mnist_problem(images: np.ndarray, labels: np.ndarray) -> str:
    """What is wrong with a pair of MNIST arrays, or "" when nothing is."""
    if images.ndim != 3 or images.dtype != np.uint8:
        return f"images must be 3-D uint8 (N, rows, cols), got {images.dtype} of shape {images.shape}"
    if labels.ndim != 1 or labels.dtype != np.uint8:
        return f"labels must be 1-D uint8, got {labels.dtype} of shape {labels.shape}"
    if len(images) != len(labels):
        return f"{len(images)} images but {len(labels)} labels"
    if len(labels) and labels.max() > 9:
        return f"labels must be digits 0-9, found {int(labels.max())}"
    return ""

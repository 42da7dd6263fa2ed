"""nn.datasets: the toy problems (scikit-learn's points where it has them, seeded, the
geometry each promises), the digits (and the ImportError without scikit-learn), and
MNIST from IDX files: the reader on files the tests write byte by byte, and the download
cache, offline, from a file:// mirror of small generated files."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import subprocess
import sys
import textwrap


import numpy as np
import pytest

from nn import datasets
from nn.datasets import (
    MNIST_MIRRORS,
    MNIST_SHA256,
    ChecksumError,
    DownloadError,
    IDXError,
    load_digits,
    load_mnist,
    make_blobs,
    make_circles,
    make_moons,
    make_regression,
    make_spirals,
    make_xor,
    read_idx,
)

# -- toy data sets ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_moons_and_circles_are_scikit_learns_points(n):
    from sklearn import datasets as sk

    for ours, theirs in ((make_moons, sk.make_moons), (make_circles, sk.make_circles)):
        X, y = ours(n, shuffle=False)
        X_sk, y_sk = theirs(n, shuffle=False)
        np.testing.assert_allclose(X, X_sk, atol=1e-15)
        np.testing.assert_array_equal(y, y_sk)
    X, y = make_circles(n, factor=0.3, shuffle=False)
    np.testing.assert_allclose(X, sk.make_circles(n, factor=0.3, shuffle=False)[0], atol=1e-15)


@pytest.mark.parametrize(
    "make", [make_moons, make_circles, make_spirals, make_blobs, make_xor], ids=lambda f: f.__name__
)
def test_toy_sets_are_seeded_shaped_and_shuffled_in_pairs(make):
    kwargs = {} if make is make_blobs else {"noise": 0.1}
    X, y = make(101, rng=0, **kwargs)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.shape == (101,) and y.dtype == np.int64
    again, _ = make(101, rng=0, **kwargs)
    other, _ = make(101, rng=1, **kwargs)
    np.testing.assert_array_equal(X, again)
    assert not np.allclose(X, other)
    assert np.bincount(y).max() - np.bincount(y).min() <= 1  # balanced classes


def test_shuffling_keeps_each_point_with_its_class():
    for make in (make_moons, make_circles, make_spirals):
        X, y = make(60, shuffle=False)
        X_shuffled, y_shuffled = make(60, rng=3)
        assert not np.array_equal(y, y_shuffled)
        for c in np.unique(y):
            ours = np.sort(X_shuffled[y_shuffled == c], axis=0)
            np.testing.assert_allclose(ours, np.sort(X[y == c], axis=0))


def test_moons_circles_and_spirals_geometry():
    X, y = make_moons(50, shuffle=False)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)  # upper arc: the unit circle
    lower = X[y == 1]  # the lower arc: centred on (1, 1/2)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    X, y = make_circles(50, factor=0.4, shuffle=False)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.4)
    X, y = make_spirals(300, n_classes=3, turns=1.5, shuffle=False)
    assert np.bincount(y).tolist() == [100, 100, 100]
    r = np.hypot(*X.T)
    assert r.min() == 0 and r.max() == pytest.approx(1.0)
    arm = X[y == 2][1:]  # θ = 2π(2/3 + 1.5 r) on arm 2
    theta = 2 * np.pi * (2 / 3 + 1.5 * np.hypot(*arm.T))
    expected = np.hypot(*arm.T)[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    np.testing.assert_allclose(arm, expected, atol=1e-12)
    c, s = np.cos(2 * np.pi / 3), np.sin(2 * np.pi / 3)
    rotated = X[y == 0] @ np.array([[c, s], [-s, c]])
    np.testing.assert_allclose(rotated, X[y == 1], atol=1e-12)  # arms are rotated copies


def test_blobs_centers_sizes_and_spread():
    centers = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 3.0]])
    X, y = make_blobs([10, 20, 30], centers=centers, cluster_std=0.0, shuffle=False)
    np.testing.assert_array_equal(np.bincount(y), [10, 20, 30])
    np.testing.assert_array_equal(X, np.repeat(centers, [10, 20, 30], axis=0))
    X, y = make_blobs(30_000, centers=centers, cluster_std=[0.5, 1.0, 2.0], rng=0)
    for k, std in enumerate([0.5, 1.0, 2.0]):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.06)
        np.testing.assert_allclose(X[y == k].std(axis=0), std, rtol=0.05)
    X, y = make_blobs(10, centers=4, n_features=3, center_box=(0, 1), cluster_std=0.0, rng=0)
    assert X.shape == (10, 3) and np.bincount(y).tolist() == [3, 3, 2, 2] and np.all((0 <= X) & (X <= 1))
    with pytest.raises(ValueError, match="one per center"):
        make_blobs([10, 20], centers=centers)
    with pytest.raises(ValueError, match="cluster_std must be finite and >= 0"):
        make_blobs(10, cluster_std=-1.0)


def test_xor_labels_by_quadrant_and_no_line_separates_them():
    X, y = make_xor(2002, rng=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    assert np.all((np.abs(X) > 0) & (np.abs(X) <= 1))
    quadrants = np.bincount(2 * (X[:, 0] > 0) + (X[:, 1] > 0))
    assert quadrants.tolist() == [500, 501, 500, 501]  # (-,-), (-,+), (+,-), (+,+): (+,+) and (-,+) first
    assert np.bincount(make_xor(7, shuffle=False)[1]).tolist() == [4, 3]
    A = np.column_stack([X, np.ones(len(X))])
    w = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)[0]  # the best linear classifier, by least squares
    assert np.mean((A @ w > 0) == y) < 0.6


def test_regression_is_linear_plus_noise():
    X, y, w = make_regression(200, n_features=3, bias=2.0, coef=True, rng=0)
    np.testing.assert_allclose(y, X @ w + 2.0)
    assert np.all((np.abs(w) >= 1) & (np.abs(w) <= 2))
    X, y_noisy, w = make_regression(20_000, n_features=2, noise=0.5, coef=True, rng=1)
    assert np.std(y_noisy - X @ w) == pytest.approx(0.5, rel=0.03)
    assert len(make_regression(5, rng=0)) == 2


ALL_MAKERS = [make_moons, make_circles, make_spirals, make_blobs, make_xor, make_regression]
NOISY_MAKERS = [make_moons, make_circles, make_spirals, make_xor, make_regression]


@pytest.mark.parametrize("make", ALL_MAKERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [0, -5, 2.5, True, "100"])
def test_every_toy_set_refuses_a_bad_sample_count(make, n):
    with pytest.raises(ValueError, match=f"n_samples must be an integer >= 1, got {n!r}"):
        make(n)


@pytest.mark.parametrize("make", NOISY_MAKERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf"), True, "0.1"])
def test_every_noisy_toy_set_refuses_a_bad_noise(make, noise):
    with pytest.raises(ValueError, match=r"noise must be a finite standard deviation >= 0, got"):
        make(10, noise=noise)


def test_other_counts_are_named_in_their_errors():
    with pytest.raises(ValueError, match="n_features must be an integer >= 1, got 0"):
        make_regression(10, n_features=0)
    with pytest.raises(ValueError, match="n_features must be an integer >= 1, got 0"):
        make_blobs(10, n_features=0)
    with pytest.raises(ValueError, match="centers must be an integer >= 1, got 0"):
        make_blobs(10, centers=0)
    with pytest.raises(ValueError, match=r"n_classes=5 arms need at least 5 samples, got n_samples=3"):
        make_spirals(3, n_classes=5)
    with pytest.raises(ValueError, match="bias must be a finite number, got 'a'"):
        make_regression(10, bias="a")


def test_blobs_refuse_bad_centers_box_counts_and_spreads():
    with pytest.raises(ValueError, match=r"center_box must be \(low, high\) with low <= high"):
        make_blobs(10, center_box=(5, -5))
    with pytest.raises(ValueError, match="center_box must be a pair"):
        make_blobs(10, center_box=5)
    with pytest.raises(ValueError, match="centers must be a count or a finite array of shape"):
        make_blobs(10, centers=[[0.0, np.nan]])
    with pytest.raises(ValueError, match="centers must be a count or a finite array of shape"):
        make_blobs(10, centers=[1.0, 2.0])
    with pytest.raises(ValueError, match="not all 0"):
        make_blobs([0, 0, 0])
    with pytest.raises(ValueError, match=r"cluster_std must be finite and >= 0, one value or 2 .*\[1, 2, 3"):
        make_blobs(10, centers=[[0, 0], [1, 1]], cluster_std=[1, 2, 3])
    with pytest.raises(ValueError, match="cluster_std must be finite"):
        make_blobs(10, cluster_std="wide")
    X, y = make_blobs([0, 3], centers=[[0, 0], [1, 1]], cluster_std=0.0, rng=0)  # an empty cluster is fine
    np.testing.assert_array_equal(X, np.ones((3, 2)))
    assert y.tolist() == [1, 1, 1]


def test_toy_sets_refuse_bad_settings():
    with pytest.raises(ValueError, match=r"factor .* must be in \[0, 1\)"):
        make_circles(10, factor=1.5)
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        make_spirals(10, n_classes=1)
    with pytest.raises(TypeError, match="rng"):
        make_moons(10, rng=1.5)


# -- the 8×8 digits ---------------------------------------------------------------------------


def test_load_digits_is_scikit_learns_copy():
    from sklearn.datasets import load_digits as sklearn_digits

    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and sorted(set(y.tolist())) == list(range(10))
    np.testing.assert_array_equal(X, sklearn_digits().data)


def test_load_digits_without_scikit_learn_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # any import of it now fails
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install scikit-learn.*load_mnist needs no extra package"):
        load_digits()


# -- without scikit-learn ------------------------------------------------------------------------

WITHOUT_SKLEARN = textwrap.dedent(
    """
    import sys
    sys.modules["sklearn"] = None  # every import of sklearn or sklearn.* now raises ImportError
    import nn
    from nn import datasets, metrics
    X, y = datasets.make_moons(50, noise=0.1, rng=0)
    assert X.shape == (50, 2) and sorted(set(y.tolist())) == [0, 1]
    assert datasets.make_spirals(30, n_classes=3, rng=0)[0].shape == (30, 2)
    assert metrics.accuracy([0, 1, 1], [0, 1, 0]) == 2 / 3
    fpr, tpr, _ = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert metrics.auc(fpr, tpr) == 0.75
    assert [m for m in sys.modules if m.startswith("sklearn.")] == []
    try:
        datasets.load_digits()
    except ImportError as error:
        print(error)
    """
)


def test_datasets_and_metrics_import_and_work_without_scikit_learn():
    command = [sys.executable, "-c", WITHOUT_SKLEARN]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    message = result.stdout.strip()
    assert message.startswith("nn.datasets.load_digits reads the 8x8 digits that ship with scikit-learn")
    assert "pip install scikit-learn" in message and "load_mnist needs no extra package" in message




# -- IDX files, written here byte by byte -------------------------------------------------------

IDX_CODES = {
    np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E
}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding: 0, 0, type, rank, the sizes as big-endian uint32, big-endian data."""
    header = bytes([0, 0, IDX_CODES[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, content: bytes, compress: bool = False):
    path.write_bytes(gzip.compress(content) if compress else content)
    return path


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", list(IDX_CODES), ids=lambda t: t.__name__)
def test_read_idx_reads_every_type_gzipped_or_not(tmp_path, dtype, compress):
    rng = np.random.default_rng(0)
    array = (rng.normal(size=(3, 4, 5)) * 50).astype(dtype)
    path = write(tmp_path / "file", idx_bytes(array), compress)
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype) and result.dtype.isnative
    np.testing.assert_array_equal(result, array)


def test_read_idx_header_by_hand(tmp_path):
    content = bytes([0, 0, 0x08, 2]) + struct.pack(">II", 2, 3) + bytes([1, 2, 3, 4, 5, 255])
    np.testing.assert_array_equal(read_idx(write(tmp_path / "f", content)), [[1, 2, 3], [4, 5, 255]])
    # big-endian int16: 0x0102 = 258, 0xFFFE = -2
    content = bytes([0, 0, 0x0B, 1]) + struct.pack(">I", 2) + bytes([0x01, 0x02, 0xFF, 0xFE])
    np.testing.assert_array_equal(read_idx(write(tmp_path / "g", content)), [258, -2])


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "not an IDX file"),
        (b"\x00\x00", "not an IDX file"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "unknown IDX data type 0x07"),
        (b"\x00\x00\x08\x00", "at least one dimension"),
        (b"\x00\x00\x08\x02" + struct.pack(">I", 2), "truncated IDX header"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x00" * 4, "truncated: the header promises"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x00" * 6, "longer than its header says"),
        (b"\x00\x00\x0d\x03" + struct.pack(">III", 2**31, 2**31, 2**31) + b"\x00" * 8, "truncated"),
    ],
    ids=["magic", "short", "type", "rank 0", "dims", "truncated", "trailing", "huge header"],
)
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_refuses_malformed_files(tmp_path, content, message, compress):
    with pytest.raises(IDXError, match=message):
        read_idx(write(tmp_path / "bad", content, compress))


def test_a_pickle_is_never_unpickled(tmp_path):
    content = pickle.dumps(np.arange(3, dtype=np.uint8))
    for compress in (False, True):
        with pytest.raises(IDXError, match="not an IDX file"):
            read_idx(write(tmp_path / f"pickled{compress}", content, compress))


def test_read_idx_refuses_a_damaged_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    with pytest.raises(IDXError, match="damaged gzip"):
        read_idx(write(tmp_path / "cut", good[: len(good) // 2]))
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    with pytest.raises(IDXError, match="damaged gzip"):
        read_idx(write(tmp_path / "flipped", bytes(flipped)))
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")


# -- MNIST, offline ---------------------------------------------------------------------------

NAMES = {
    "train-images-idx3-ubyte": ("train", "images"),
    "train-labels-idx1-ubyte": ("train", "labels"),
    "t10k-images-idx3-ubyte": ("test", "images"),
    "t10k-labels-idx1-ubyte": ("test", "labels"),
}


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A small MNIST in MNIST's four .gz files, served from a file:// address, with their
    hashes; the cache directory moved to a temporary one."""
    rng = np.random.default_rng(0)
    arrays = {
        "train": (rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), rng.integers(0, 10, 6).astype(np.uint8)),
        "test": (rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), rng.integers(0, 10, 4).astype(np.uint8)),
    }
    served = tmp_path / "mirror"
    served.mkdir()
    hashes = {}
    for name, (part, kind) in NAMES.items():
        array = arrays[part][0 if kind == "images" else 1]
        content = gzip.compress(idx_bytes(array))
        (served / f"{name}.gz").write_bytes(content)
        hashes[f"{name}.gz"] = hashlib.sha256(content).hexdigest()
    monkeypatch.setenv("BACKPROP_LAB_CACHE", str(tmp_path / "cache"))
    return {
        "dir": served,
        "url": served.as_uri(),
        "sha256": hashes,
        "arrays": arrays,
        "cache": tmp_path / "cache" / "mnist",
    }


def load(mirror, **kwargs):
    return load_mnist(base_url=mirror["url"], sha256=mirror["sha256"], progress=False, **kwargs)


def test_load_mnist_downloads_into_the_cache_then_reads_it_offline(mirror):
    (X_train, y_train), (X_test, y_test) = load(mirror)
    images, labels = mirror["arrays"]["train"]
    assert X_train.shape == (6, 784) and X_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_allclose(X_train, images.reshape(6, -1) / 255, rtol=1e-6)
    np.testing.assert_array_equal(y_train, labels)
    np.testing.assert_array_equal(y_test, mirror["arrays"]["test"][1])
    assert sorted(p.name for p in mirror["cache"].iterdir()) == sorted(f"{n}.gz" for n in NAMES)
    (raw_train, _), (raw_test, _) = load_mnist(
        sha256=mirror["sha256"], download=False, flatten=False, normalize=False
    )
    np.testing.assert_array_equal(raw_train, images)  # read from the cache: no download possible here
    assert raw_test.dtype == np.uint8 and raw_test.shape == (4, 28, 28)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_download_shows_a_progress_bar_on_a_terminal_and_none_in_a_log(mirror, tmp_path, monkeypatch, capsys):
    name = "t10k-labels-idx1-ubyte.gz"
    url = f"{mirror['url']}/{name}"
    target = datasets.download_file(url, tmp_path / name, mirror["sha256"][name], progress=True)
    assert target.read_bytes() == (tmp_path / "mirror" / name).read_bytes()
    assert capsys.readouterr().err == ""  # pytest's captured stderr is no terminal
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    datasets.download_file(url, tmp_path / "again.gz", mirror["sha256"][name], progress=True)
    assert "again.gz" in terminal.getvalue()


def test_a_download_leaves_the_users_own_partial_file_alone(mirror, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    mine = tmp_path / f"{name}.partial"
    mine.write_bytes(b"my notes")
    datasets.download_file(f"{mirror['url']}/{name}", tmp_path / name, mirror["sha256"][name], progress=False)
    assert mine.read_bytes() == b"my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["mirror", name, mine.name])


def test_a_download_with_the_wrong_hash_is_not_kept(mirror):
    wrong = dict(mirror["sha256"], **{"train-labels-idx1-ubyte.gz": "0" * 64})
    with pytest.raises(DownloadError, match=r"train-labels-idx1-ubyte.gz.*SHA-256 mismatch, expected 0{64}"):
        load_mnist(base_url=mirror["url"], sha256=wrong, progress=False)
    kept = sorted(p.name for p in mirror["cache"].iterdir())
    assert kept == ["train-images-idx3-ubyte.gz"]  # no bad file, no .partial
    with pytest.raises(ChecksumError, match="the download was discarded"):
        url = f"{mirror['url']}/train-labels-idx1-ubyte.gz"
        datasets.download_file(url, mirror["cache"] / "x.gz", "0" * 64, progress=False)
    assert sorted(p.name for p in mirror["cache"].iterdir()) == ["train-images-idx3-ubyte.gz"]  # nothing left behind


def test_a_corrupted_file_in_the_cache_is_deleted_and_downloaded_again(mirror):
    load(mirror)
    cached = mirror["cache"] / "train-images-idx3-ubyte.gz"
    cached.write_bytes(cached.read_bytes()[:100])  # a truncated copy
    deleted = r"train-images-idx3-ubyte.gz: SHA-256 mismatch.*file was deleted"
    with pytest.raises(ChecksumError, match=deleted):
        load(mirror)
    assert not cached.exists()
    (X_train, _), _ = load(mirror)  # downloaded afresh
    np.testing.assert_allclose(X_train * 255, mirror["arrays"]["train"][0].reshape(6, -1), atol=1e-4)


def test_a_bad_file_in_your_own_directory_is_reported_and_left_alone(mirror, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    for name, (part, kind) in NAMES.items():
        array = mirror["arrays"][part][0 if kind == "images" else 1]
        (mine / name).write_bytes(idx_bytes(array))  # plain, not gzipped
    (X_train, _), _ = load_mnist(mine, download=False)
    assert X_train.shape == (6, 784)
    broken = mine / "t10k-images-idx3-ubyte"
    broken.write_bytes(broken.read_bytes()[:-10])
    with pytest.raises(IDXError, match=r"t10k-images-idx3-ubyte: truncated"):
        load_mnist(mine, download=False)
    assert broken.exists()
    six_images = idx_bytes(mirror["arrays"]["train"][0])  # for 4 labels
    (mine / "t10k-images-idx3-ubyte").write_bytes(six_images)
    with pytest.raises(IDXError, match="the MNIST test files do not fit together: 6 images but 4 labels"):
        load_mnist(mine, download=False)


def test_missing_files_without_download_or_reachable_mirror(mirror, tmp_path):
    with pytest.raises(FileNotFoundError, match="pass download=True"):
        load_mnist(tmp_path / "empty", download=False)
    nowhere = (tmp_path / "no-mirror").as_uri()
    with pytest.raises(DownloadError, match="could not download train-images-idx3-ubyte.gz from any mirror"):
        load_mnist(base_url=[nowhere, nowhere + "2"], progress=False)
    assert list(mirror["cache"].iterdir()) == []


def test_the_real_mnist_addresses_and_hashes_are_well_formed():
    assert set(MNIST_SHA256) == {f"{name}.gz" for name in NAMES}
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in MNIST_SHA256.values())
    assert all(url.startswith("https://") and url.endswith("/") for url in MNIST_MIRRORS)


def test_files_that_do_not_fit_together_are_refused_and_dropped_from_the_cache(mirror):
    name = "train-labels-idx1-ubyte.gz"

    def serve_labels(labels):
        content = gzip.compress(idx_bytes(np.array(labels, dtype=np.uint8)))
        (mirror["dir"] / name).write_bytes(content)
        return dict(mirror["sha256"], **{name: hashlib.sha256(content).hexdigest()})

    hashes = serve_labels([0, 1, 2, 3, 4])  # 5 labels for 6 training images
    refused = r"MNIST train files do not fit together: 6 images but 5 labels.*deleted"
    with pytest.raises(IDXError, match=refused):
        load_mnist(base_url=mirror["url"], sha256=hashes, progress=False)
    assert not (mirror["cache"] / name).exists()
    assert not (mirror["cache"] / "train-images-idx3-ubyte.gz").exists()
    hashes = serve_labels([1, 2, 12, 3, 4, 5])
    with pytest.raises(IDXError, match="labels must be digits 0-9, found 12"):
        load_mnist(base_url=mirror["url"], sha256=hashes, progress=False)


# -- hostile IDX files: the declared size is checked against the file's before reading -----------------


def refused(path, message):
    def read():
        with pytest.raises(IDXError, match=message):
            read_idx(path)

    return read


BILLION_IMAGES = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 10**9, 28, 28)  # 784 GB promised


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_tiny_idx_file_declaring_a_billion_items_is_refused_before_reading(tmp_path, compress, peak_bytes):
    path = write(tmp_path / "liar", BILLION_IMAGES + bytes(100), compress)
    assert path.stat().st_size < 200
    assert peak_bytes(refused(path, r"truncated: the header promises \(1000000000, 28, 28\).*refused before reading")) < 100_000


def test_a_gzip_bomb_declaring_more_than_gzip_can_hold_is_refused_without_inflating_it(tmp_path, peak_bytes):
    labels = bytes([0, 0, 0x08, 1]) + struct.pack(">I", 10**9)  # a billion labels, 1 GB
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as out:
        out.write(labels)
        for _ in range(32):
            out.write(bytes(1 << 20))  # 32 MB of zeros: a file of about 32 KB
    assert path.stat().st_size < 100_000
    assert peak_bytes(refused(path, "more than a gzip file of")) < 1 << 20  # not the 32 MB it inflates to


def test_hostile_files_in_the_mnist_cache_are_refused_and_deleted(mirror, peak_bytes):
    load(mirror)
    cached = mirror["cache"] / "train-images-idx3-ubyte.gz"
    unchecked = {}  # no hash to check, so the reader itself meets the hostile bytes
    cached.write_bytes(gzip.compress(BILLION_IMAGES + bytes(1000)))

    def load_cache():
        with pytest.raises(IDXError, match=r"truncated: the header promises \(1000000000, 28, 28\).*file was deleted"):
            load_mnist(sha256=unchecked, download=False)

    assert peak_bytes(load_cache) < 1 << 20
    assert not cached.exists()
    cached.write_bytes(gzip.compress(b"\x1f\x8b not an IDX header" + bytes(100)))  # wrong magic
    with pytest.raises(IDXError, match="not an IDX file.*file was deleted"):
        load_mnist(sha256=unchecked, download=False)
    assert not cached.exists()

"""State dicts and files: names and copies, save then load into a fresh model gives identical
outputs, and a mismatched, corrupted or pickled file is refused with nothing changed."""

from __future__ import annotations

import re


import numpy as np
import pytest

import nn
from autodiff import Tensor


def make_model(seed: int = 0) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(4, 8, rng=seed),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        nn.Dropout(0.5, rng=seed),
        nn.Linear(8, 3, rng=seed + 1),
    )


def trained_model() -> nn.Sequential:
    """A model whose parameters and running statistics all differ from a fresh one's."""
    model = make_model(0)
    rng = np.random.default_rng(0)
    for _ in range(3):
        model.zero_grad()
        loss = nn.functional.cross_entropy(model(rng.normal(2.0, 3.0, (16, 4))), rng.integers(0, 3, 16))
        loss.backward()
        for p in model.parameters():
            p.data = p.data - 0.1 * p.grad
    return model.eval()


def snapshot(model: nn.Module) -> dict:
    return {name: value.copy() for name, value in model.state_dict().items()}


def assert_unchanged(model: nn.Module, before: dict) -> None:
    after = model.state_dict()
    assert after.keys() == before.keys()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)


X = np.random.default_rng(1).standard_normal((5, 4))


def test_state_dict_names_parameters_and_buffers_like_pytorch_and_copies_them():
    model = make_model()
    state = model.state_dict()
    assert list(state) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "4.weight", "4.bias"
    ]
    assert len(model.parameters()) == 6  # the running statistics are not parameters
    state["0.weight"][...] = 99.0
    model[1].running_mean[...] = 7.0
    assert not np.any(model[0].weight.data == 99.0)  # a copy, not the storage
    assert np.all(state["1.running_mean"] == 0.0)


def test_save_then_load_into_a_fresh_model_gives_identical_outputs(tmp_path):
    model = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    fresh = make_model(seed=42).eval()
    assert not np.array_equal(fresh(X).data, model(X).data)
    assert fresh.load(path) is fresh
    np.testing.assert_array_equal(fresh(X).data, model(X).data)
    np.testing.assert_array_equal(fresh[1].running_var, model[1].running_var)
    assert sorted(np.load(path, allow_pickle=False).files) == sorted(model.state_dict())  # numpy reads it


def test_save_writes_exactly_the_path_given(tmp_path):
    path = tmp_path / "weights.bin"
    make_model().save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["weights.bin"]  # no .npz appended, no leftovers


def test_loading_keeps_each_parameters_dtype_and_object():
    model = nn.Linear(3, 2, dtype=np.float32, rng=0)
    weight = model.weight
    model.load_state_dict({"weight": np.ones((3, 2)), "bias": np.array([1, 2])})
    assert model.weight is weight and weight.dtype == np.float32 and model.bias.dtype == np.float32
    np.testing.assert_array_equal(model.bias.data, [1.0, 2.0])


def test_a_mismatched_state_is_refused_listing_every_problem_and_nothing_changes():
    model = trained_model()
    before = snapshot(model)
    state = make_model().state_dict()
    state["0.weight"] = np.zeros((8, 4))  # transposed
    state["4.bias"] = np.zeros(4)
    del state["1.running_var"]
    state["5.weight"] = np.zeros((3, 3))
    with pytest.raises(nn.StateDictError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "4 problems" in message and "nothing was changed" in message
    assert "missing: '1.running_var'" in message
    assert "unexpected: '5.weight'" in message
    assert "shape of '0.weight': given (8, 4), the model has (4, 8)" in message
    assert "shape of '4.bias': given (4,), the model has (3,)" in message
    assert_unchanged(model, before)


def test_a_file_for_another_architecture_is_refused_with_nothing_changed(tmp_path):
    path = tmp_path / "other.npz"
    nn.Sequential(nn.Linear(4, 6, rng=0), nn.ReLU(), nn.Linear(6, 3, rng=1)).save(path)
    model = trained_model()
    before = snapshot(model)
    with pytest.raises(nn.StateDictError, match="shape of '0.weight': given \\(4, 6\\)"):
        model.load(path)
    assert_unchanged(model, before)


def _truncated(path, good):
    path.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])


def _garbage(path, good):
    path.write_bytes(b"not a state file at all" * 10)


def _flipped(path, good):  # a damaged byte inside one stored array: the zip checksum fails
    data = bytearray(good.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))


def _single_array(path, good):
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))


def _pickled_objects(path, good):
    with open(path, "wb") as f:
        np.savez(f, **{"0.weight": np.array([{"evil": 1}, None], dtype=object)})


def _text_array(path, good):
    with open(path, "wb") as f:
        np.savez(f, **{**{k: v for k, v in np.load(good).items()}, "0.bias": np.array(["a"] * 8)})


@pytest.mark.parametrize(
    "damage, message",
    [
        (_truncated, "not a zip archive"),
        (_garbage, "not a zip archive"),
        (_flipped, "damaged or unsafe .npz state file: Bad CRC-32"),
        (_single_array, "holds a single .npy array"),
        (_pickled_objects, "holds pickled Python objects (dtype object); a state file is never unpickled"),
        (_text_array, "not real numbers: '0.bias' has dtype <U1"),
    ],
    ids=lambda x: x.__name__.strip("_") if callable(x) else "",
)
def test_a_corrupted_or_unsafe_file_is_refused_with_nothing_changed(tmp_path, damage, message):
    good = tmp_path / "good.npz"
    trained_model().save(good)
    bad = tmp_path / "bad.npz"
    damage(bad, good)
    model = make_model(seed=3)
    before = snapshot(model)
    with pytest.raises(nn.StateDictError, match=re.escape(message)):
        model.load(bad)
    assert_unchanged(model, before)


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        make_model().load(tmp_path / "nowhere.npz")


def test_load_state_dict_wants_a_mapping():
    with pytest.raises(TypeError, match="must be a mapping"):
        make_model().load_state_dict([("0.weight", np.zeros((4, 8)))])


def test_a_tensor_in_a_state_dict_is_named_as_one_not_as_dtype_object():
    model = make_model()
    state = model.state_dict()
    state["0.weight"] = Tensor(state["0.weight"])  # the parameter itself, as PyTorch's state dicts hold
    with pytest.raises(nn.StateDictError, match=r"'0.weight' is a Tensor; give its numbers"):
        model.load_state_dict(state)


def test_the_scalar_mlp_saves_and_loads_too(tmp_path):
    model, fresh = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    model.save(tmp_path / "mlp.npz")
    fresh.load(tmp_path / "mlp.npz")
    assert fresh([0.3, -0.7]).data == model([0.3, -0.7]).data
    assert all(isinstance(p.data, float) for p in fresh.parameters())


def test_exporting_to_pytorch_is_a_transpose_of_each_weight():
    torch = pytest.importorskip("torch", reason="PyTorch is this test's oracle: pip install torch==2.13.0")
    ours = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Tanh(), nn.Linear(8, 3, rng=1))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    state = {
        name: torch.tensor(value.T if name.endswith("weight") else value)
        for name, value in ours.state_dict().items()
    }
    theirs.load_state_dict(state)  # same names, PyTorch's (out, in) layout
    np.testing.assert_allclose(
        ours(Tensor(X)).data, theirs(torch.tensor(X)).detach().numpy(), rtol=1e-13, atol=1e-15
    )



def test_a_layer_used_twice_is_in_the_state_dict_under_both_names_as_in_pytorch(tmp_path):
    # it was listed once ("0.weight" only), so PyTorch's state dict of the same tied net was
    # refused ("unexpected: '2.weight'") and ours would not load into an untied copy
    torch = pytest.importorskip("torch", reason="PyTorch is this test's oracle: pip install torch==2.13.0")
    shared = nn.Linear(3, 3, rng=0)
    tied = nn.Sequential(shared, nn.Tanh(), shared, nn.Tanh(), nn.Linear(3, 2, rng=1))
    layer = torch.nn.Linear(3, 3, dtype=torch.float64)
    theirs = torch.nn.Sequential(layer, torch.nn.Tanh(), layer, torch.nn.Tanh(),
                                 torch.nn.Linear(3, 2, dtype=torch.float64))
    assert list(tied.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in tied.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    tied.load_state_dict({name: value.numpy().T if name.endswith("weight") else value.numpy()
                          for name, value in theirs.state_dict().items()})
    expected = theirs(torch.tensor(X[:, :3])).detach().numpy()
    np.testing.assert_allclose(tied(Tensor(X[:, :3])).data, expected, rtol=1e-13, atol=1e-15)
    untied = nn.Sequential(nn.Linear(3, 3, rng=5), nn.Tanh(), nn.Linear(3, 3, rng=6), nn.Tanh(),
                           nn.Linear(3, 2, rng=7))
    tied.save(tmp_path / "tied.npz")
    untied.load(tmp_path / "tied.npz")
    np.testing.assert_allclose(untied(Tensor(X[:, :3])).data, expected, rtol=1e-13, atol=1e-15)


def test_tied_parameters_are_in_the_state_dict_under_each_name_and_trained_once():
    class Tied(nn.Module):
        def __init__(self):
            self.encode = Tensor(np.eye(2), requires_grad=True)
            self.decode = self.encode
            self.me = self  # a module that holds itself is not walked into forever

        def forward(self, x):
            return x @ self.encode @ self.decode

    model = Tied()
    assert list(model.state_dict()) == ["encode", "decode"]
    assert [name for name, _ in model.named_parameters()] == ["encode"]
    model.load_state_dict({"encode": 2 * np.eye(2), "decode": 2 * np.eye(2)})
    np.testing.assert_array_equal(model(np.ones((1, 2))).data, [[4.0, 4.0]])


# -- hostile files: checked from the headers, before any array is read ---------------------------------


def write_member(archive, name, shape, dtype="<f8", chunks=0, chunk=b"\0" * (1 << 20)):
    """A member ``name.npy`` whose header declares ``shape`` and whose data is ``chunks`` MB of zeros."""
    import io

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
    with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
        member.write(header.getvalue())
        for _ in range(chunks):
            member.write(chunk)


def test_a_small_file_with_a_huge_unexpected_member_is_refused_without_inflating_it(tmp_path, peak_bytes):
    import zipfile

    good = tmp_path / "good.npz"
    trained_model().save(good)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in np.load(good).items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, value)
        write_member(archive, "extra", (64 * (1 << 20) // 8,), chunks=64)  # 64 MB of zeros
    assert path.stat().st_size < 200_000
    model = make_model(seed=3)
    before = snapshot(model)
    errors = []

    def load():
        with pytest.raises(nn.StateDictError, match="unexpected: 'extra'") as error:
            model.load(path)
        errors.append(error)

    assert peak_bytes(load) < 4 * (1 << 20)  # not the 64 MB the member inflates to
    assert errors
    assert_unchanged(model, before)


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "deflated"])
def test_a_tiny_file_declaring_a_trillion_numbers_is_a_state_dict_error(tmp_path, stored):
    import zipfile

    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        write_member(archive, "0.weight", (10**12,), chunks=0)
    assert path.stat().st_size < 2048
    with pytest.raises(nn.StateDictError, match=r"declares shape \(1000000000000,\).*truncated or forged"):
        nn.state.read_npz(path)
    model = make_model(seed=3)
    before = snapshot(model)
    with pytest.raises(nn.StateDictError, match="truncated or forged"):
        model.load(path)
    assert_unchanged(model, before)


def test_save_leaves_the_users_own_partial_file_alone_and_nothing_else_behind(tmp_path):
    mine = tmp_path / "m.npz.partial"
    mine.write_bytes(b"my half-written notes")
    model = trained_model()
    model.save(tmp_path / "m.npz")
    assert mine.read_bytes() == b"my half-written notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "m.npz.partial"]
    assert_unchanged(make_model(seed=5).load(tmp_path / "m.npz"), snapshot(model))


def test_save_gives_the_file_the_usual_permissions(tmp_path):
    import os

    model = trained_model()
    model.save(tmp_path / "m.npz")
    (tmp_path / "plain").write_bytes(b"")
    assert os.stat(tmp_path / "m.npz").st_mode == os.stat(tmp_path / "plain").st_mode

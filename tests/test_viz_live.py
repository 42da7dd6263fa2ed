"""viz.LiveTraining: the numbers it records, the one layout it draws them in, its files, and bad input.

Every recorded number is checked against one computed another way: the weights and
gradients against copies taken from the model at the same epoch by a second callback,
the activations against the model's own Values (scalar MLP) or numpy (Tensor nets),
the gradients of a Tensor net against PyTorch's autograd, the histograms against
``numpy.histogram``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nn
import optim
import viz
from autodiff import Tensor, Value, no_grad
from nn import datasets
from viz import live_style
from viz.live_probe import MAX_PROBE_ROWS

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


def moons(n=40):
    X, y01 = datasets.make_moons(n, noise=0.1, rng=0)
    return X, 2 * y01 - 1


class Keep:
    """A second nn.fit callback: per epoch, each layer's (W, b, dW, db) read off the scalar model's neurons."""

    def __init__(self, model):
        self.model, self.epochs = model, {}

    def __call__(self, record):
        self.epochs[record["epoch"]] = [
            ([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons],
             [[w.grad for w in n.w] for n in layer.neurons], [n.b.grad for n in layer.neurons])
            for layer in self.model.layers
        ]


def scalar_layer_values(model, row):
    """Each layer's outputs on one row, by the model's own Value arithmetic."""
    out, h = [], [float(v) for v in row]
    with no_grad():
        for layer in model.layers:
            h = layer(h)
            h = h if isinstance(h, list) else [h]
            out.append([v.data for v in h])
    return out


# -- the numbers ---------------------------------------------------------------------------


def test_scalar_snapshots_hold_what_the_model_held_at_each_epoch():
    X, y = moons()
    model = nn.MLP(2, [5, 4, 1], seed=1)
    live, keep = viz.LiveTraining(model, data=(X, y)), Keep(model)
    nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.3), (X, y), epochs=4, batch_size=16,
           progress=False, callbacks=[live, keep])
    assert [s.epoch for s in live.snapshots] == [0, 1, 2, 3, 4]
    assert [s.step for s in live.snapshots] == [0, 3, 6, 9, 12]  # ceil(40 / 16) = 3 updates per epoch
    for snap in live.snapshots[1:]:
        for layer, (w, b, dw, db) in zip(snap.layers, keep.epochs[snap.epoch]):
            assert layer.weight.T.tolist() == w and layer.bias.tolist() == b  # W[i, j]: weight i of neuron j
            assert layer.weight_grad.T.tolist() == dw and layer.bias_grad.tolist() == db
            norms = [np.sqrt(sum(g * g for g in row) + gb * gb) for row, gb in zip(dw, db)]
            np.testing.assert_allclose(layer.unit_gradient, norms, rtol=1e-12)
    assert live.snapshots[1].layers[0].weight.tolist() != live.snapshots[2].layers[0].weight.tolist()
    # the activations of the last snapshot, by the model's own Values, row by row
    last = live.snapshots[-1]
    values = [scalar_layer_values(model, row) for row in X]
    for i, layer in enumerate(last.layers):
        expected = np.array([v[i] for v in values])
        np.testing.assert_allclose(layer.activations, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.unit_activation, expected.mean(axis=0), rtol=1e-12, atol=1e-12)
        assert layer.dead.tolist() == np.all(expected == 0, axis=0).tolist()
    assert last.has_gradients and last.loss == pytest.approx(live.curves["loss"][-1])


def test_tensor_snapshots_match_numpy_activations_and_torch_gradients():
    torch = pytest.importorskip("torch", reason="PyTorch is the gradient oracle: pip install -e '.[dev]'")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = (X @ np.array([[1.0], [-2.0], [0.5]]) > 0).astype(float)
    model = nn.Sequential(nn.Linear(3, 6, rng=0), nn.Tanh(), nn.Linear(6, 1, rng=1), nn.Sigmoid())
    live = viz.LiveTraining(model, data=(X, y), show=("graph", "loss"), initial=False)
    opt = optim.SGD(model.parameters(), lr=0.5)
    for epoch in range(1, 4):
        before = [np.array(p.data).copy() for p in model.parameters()]
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy(model(Tensor(X)), y)
        loss.backward()
        opt.step()
        live.update(model, loss=loss, lr=0.5)
        snap = live.snapshots[-1]
        # PyTorch's gradients at the weights the update started from
        W1, b1, W2, b2 = (torch.tensor(a, requires_grad=True) for a in before)
        out = torch.sigmoid(torch.tanh(torch.tensor(X) @ W1 + b1) @ W2 + b2)
        torch.nn.functional.binary_cross_entropy(out, torch.tensor(y)).backward()
        for layer, (W, b) in zip(snap.layers, ((W1, b1), (W2, b2))):
            np.testing.assert_allclose(layer.weight_grad, W.grad.numpy(), rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(layer.bias_grad, b.grad.numpy(), rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(layer.weight, W.detach().numpy() - 0.5 * W.grad.numpy(), rtol=1e-12, atol=1e-14)
        # the activations after the update, by numpy
        Wa, ba, Wb, bb = (np.array(p.data) for p in model.parameters())
        hidden = np.tanh(X @ Wa + ba)
        np.testing.assert_allclose(snap.layers[0].activations, hidden, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(snap.layers[1].activations, 1 / (1 + np.exp(-(hidden @ Wb + bb))), rtol=1e-12)
        assert snap.epoch == snap.step == epoch and snap.loss == pytest.approx(loss.item(), rel=1e-15)
        assert snap.layers[0].activation_name == "tanh" and snap.layers[1].activation_name == "sigmoid"


def test_histogram_counts_add_up_to_the_parameters_and_match_numpy():
    X, y = moons()
    model = nn.MLP(2, [16, 16, 1], seed=0)
    live = viz.LiveTraining(model, data=(X, y))
    nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=2, batch_size=40,
           progress=False, callbacks=[live])
    snap = live.snapshots[-1]
    assert sum(layer.parameter_hist.counts.sum() for layer in snap.layers) == len(model.parameters()) == 337
    assert sum(layer.gradient_hist.counts.sum() for layer in snap.layers) == 337
    for layer in snap.layers:
        assert layer.parameter_hist.counts.sum() == layer.parameter_count == layer.weight.size + layer.bias.size
        values = np.r_[layer.weight.ravel(), layer.bias]
        top = np.abs(values).max()
        counts, edges = np.histogram(values, bins=20, range=(-top, top))
        assert layer.parameter_hist.counts.tolist() == counts.tolist()
        np.testing.assert_array_equal(layer.parameter_hist.edges, edges)
        if layer.activation_name == "relu":  # the histogram leaves ReLU's zeros out
            assert layer.activation_hist.counts.sum() == np.count_nonzero(layer.activations)
    sizes = [(128, 64), (64, 10)]
    tensor = nn.Sequential(nn.Linear(*sizes[0], rng=0), nn.ReLU(), nn.Linear(*sizes[1], rng=1))
    counts = [layer.parameter_hist.counts.sum() for layer in viz.LiveTraining(tensor).snapshots[0].layers]
    assert counts == [128 * 64 + 64, 64 * 10 + 10] and sum(counts) == sum(p.size for p in tensor.parameters())


def test_every_k_records_epochs_0_k_2k_and_notes_every_epoch():
    X, y = moons(20)
    model = nn.MLP(2, [3, 1], seed=0)
    live = viz.LiveTraining(model, every=3, data=(X, y))
    nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=10, batch_size=20,
           progress=False, callbacks=[live])
    assert [s.epoch for s in live.snapshots] == [0, 3, 6, 9]
    assert live.curves["epoch"] == list(range(1, 11)) and len(live.curves["loss"]) == 10
    # a second fit carries on counting
    nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, batch_size=20,
           progress=False, callbacks=[live])
    assert [s.epoch for s in live.snapshots] == [0, 3, 6, 9, 12] and live.curves["step"][-1] == 13
    without_initial = viz.LiveTraining(model, every=2, initial=False)
    for _ in range(5):
        without_initial.update(model, loss=1.0)
    assert [s.epoch for s in without_initial.snapshots] == [2, 4]


def test_fit_and_a_hand_written_loop_give_the_same_snapshots():
    X, y = moons(30)
    by_fit, by_hand = nn.MLP(2, [4, 4, 1], seed=3), nn.MLP(2, [4, 4, 1], seed=3)
    lr = optim.schedules.linear_decay(1.0, total_steps=5, lr_end=0.1)
    fit_live, hand_live = viz.LiveTraining(by_fit, data=(X, y)), viz.LiveTraining(by_hand, data=(X, y))
    nn.fit(by_fit, nn.HingeLoss(), optim.SGD(by_fit.parameters(), lr=lr), (X, y), epochs=5, batch_size=30,
           shuffle=False, progress=False, callbacks=[fit_live])
    opt = optim.SGD(by_hand.parameters(), lr=lr)
    for epoch in range(5):
        opt.zero_grad()
        loss = nn.HingeLoss()([by_hand(row) for row in X.tolist()], y.tolist())
        loss.backward()
        rate = opt.learning_rate(opt.step_count)
        opt.step()
        hand_live.update(by_hand, loss=loss, lr=rate)
    assert len(fit_live.snapshots) == len(hand_live.snapshots) == 6
    for a, b in zip(fit_live.snapshots, hand_live.snapshots):
        assert (a.epoch, a.step, a.lr) == (b.epoch, b.step, b.lr)
        assert a.loss == b.loss or a.loss == pytest.approx(b.loss, rel=1e-15)
        for la, lb in zip(a.layers, b.layers):
            for name in ("weight", "bias", "weight_grad", "bias_grad", "activations", "unit_gradient", "dead"):
                np.testing.assert_array_equal(getattr(la, name), getattr(lb, name), err_msg=name)
        np.testing.assert_array_equal(a.boundary.scores, b.boundary.scores)


def test_probe_row_dead_units_and_saturation_are_what_the_numbers_say():
    X, y = moons(40)
    model = nn.MLP(2, [3, 1], seed=0)
    model.layers[0].neurons[1].b.data = -100.0  # a ReLU that never fires
    live = viz.LiveTraining(model, data=(X, y), probe=7)
    snap = live.snapshots[0]
    expected = scalar_layer_values(model, X[7])
    np.testing.assert_allclose(snap.layers[0].unit_activation, expected[0], rtol=1e-12)
    np.testing.assert_array_equal(snap.unit_input, X[7])
    assert snap.layers[0].dead.tolist() == [False, True, False]
    circles = [el for el in live.frame(0) if el.tag == "circle" and el.text and el.text.startswith("unit")]
    assert circles[1].attrs["fill"] == live_style.DEAD_FILL and "dead" in circles[1].text
    assert "row 7" in circles[0].text
    # a sigmoid layer fed huge weights is saturated on every row
    net = nn.Sequential(nn.Linear(2, 4, init=lambda w, rng: w.data.__setitem__(..., 50.0)), nn.Sigmoid(),
                        nn.Linear(4, 1))
    X_far = np.random.default_rng(0).normal(size=(500, 2)) + 3.0
    far = viz.LiveTraining(net, data=X_far, show=("graph",))
    hidden = far.snapshots[0].layers[0]
    assert len(hidden.activations) == MAX_PROBE_ROWS  # 256 of the 500 rows, evenly spaced
    z = X_far[np.linspace(0, 499, MAX_PROBE_ROWS).round().astype(int)] @ np.full((2, 4), 50.0)
    share = np.mean((1 / (1 + np.exp(-z)) > 0.99) | (1 / (1 + np.exp(-z)) < 0.01), axis=0)
    np.testing.assert_allclose(hidden.saturation, share)
    assert np.all(hidden.saturation > 0.9)
    glyphs = [el.text for el in far.frame(0) if el.tag == "text" and el.text == "S"]
    assert len(glyphs) == 4


def test_a_wide_layer_is_drawn_a_block_of_units_per_square():
    net = nn.Sequential(nn.Linear(784, 40, rng=0), nn.ReLU(), nn.Linear(40, 10, rng=1))
    X = np.random.default_rng(1).random((50, 784))
    live = viz.LiveTraining(net, data=X)
    inputs = live._layout.columns[0]
    assert inputs.per_cell == 3 and len(inputs.cells) == 262 and not inputs.circles
    assert live._layout.edges == [None, None]  # 784 x 40 and 40 x 10 weights: bands
    squares = [el for el in live.frame(0) if el.tag == "rect" and el.attrs["width"] == f"{inputs.size:.1f}"]
    first = X.mean(axis=0)[:3].mean()
    assert squares[0].attrs["fill"] == live_style.diverging(first)
    assert Image.open(io.BytesIO(live.render())).size == (round(live._layout.width), round(live._layout.height))


def test_validation_loss_and_show_subsets():
    X, y = moons(40)
    model = nn.MLP(2, [4, 1], seed=0)
    live, records = viz.LiveTraining(model, data=(X, y)), []
    nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.3), (X[:30], y[:30]), epochs=3, batch_size=30,
           val_data=(X[30:], y[30:]), progress=False, callbacks=[live, records.append])
    assert live.curves["val_loss"] == [r["val_loss"] for r in records]
    assert [s.val_loss for s in live.snapshots[1:]] == [r["val_loss"] for r in records]
    assert [s.lr for s in live.snapshots[1:]] == [0.3] * 3
    lines = [el for el in live.frame(-1) if el.tag == "polyline"]
    assert [len(el.attrs["points"].split()) for el in lines] == [3, 3, 3]  # train, validation, learning rate
    assert "validation" in [el.text for el in live.frame(-1) if el.tag == "text"]
    for show, units, curves, regions in ((("loss",), 0, 3, 0), (("boundary",), 0, 0, 1), (("graph",), 2 + 4 + 1, 0, 0)):
        part = viz.LiveTraining(model, data=(X, y), show=show)
        part.update(model, loss=0.5)
        elements = part.frame(-1)
        assert sum(1 for el in elements if el.tag == "circle" and el.text) == units
        assert sum(1 for el in elements if el.tag == "polyline") == curves
        assert sum(1 for el in elements if el.tag == "image") == regions
        assert Image.open(io.BytesIO(part.render())).size[0] == round(part._layout.width)


# -- one layout ---------------------------------------------------------------------------


def _geometry(svg_text):
    """Where every unit and every weight's line is, in an SVG the recorder drew."""
    root = ET.fromstring(svg_text)
    units = [(c.get("cx"), c.get("cy"), c.get("r")) for c in root.iter(SVG + "circle") if c.find(SVG + "title") is not None]
    lines = [(e.get("x1"), e.get("y1"), e.get("x2"), e.get("y2")) for e in root.iter(SVG + "line")]
    return units, lines


def test_the_layout_is_identical_across_updates():
    X, y = moons()
    model = nn.MLP(2, [6, 5, 1], seed=0)
    live = viz.LiveTraining(model, data=(X, y))
    pictures = []

    def picture(record):
        pictures.append(live.live_svg())

    nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=2.0), (X, y), epochs=4, batch_size=40,
           progress=False, callbacks=[live, picture])
    geometry = [_geometry(p) for p in pictures]
    assert len(geometry[0][0]) == 2 + 6 + 5 + 1 and len(geometry[0][1]) == 2 * 6 + 6 * 5 + 5
    assert all(g == geometry[0] for g in geometry)
    assert len(set(pictures)) == 4  # while the colours changed
    frames = live.frames()
    assert all([el.tag for el in f] == [el.tag for el in frames[0]] for f in frames)
    fixed = ("cx", "cy", "r", "x1", "y1", "x2", "y2")
    for f in frames[1:]:
        for a, b in zip(f, frames[0]):
            if a.tag in ("line",) or (a.tag == "circle" and a.text):
                assert all(a.attrs[k] == b.attrs[k] for k in fixed if k in a.attrs)


# -- files and output -----------------------------------------------------------------------


def test_gif_png_svg_and_html_files(tmp_path):
    X, y = moons(30)
    model = nn.MLP(2, [4, 1], seed=0)
    live = viz.LiveTraining(model, every=2, data=(X, y))
    nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=6, batch_size=30,
           progress=False, callbacks=[live])
    gif = Image.open(live.save_gif(tmp_path / "run.gif"))
    assert gif.n_frames == len(live.snapshots) == 4
    png = Image.open(live.save(tmp_path / "last.png"))
    assert png.size == gif.size
    svg_text = live.save(tmp_path / "last.svg").read_text()
    assert ET.fromstring(svg_text).tag == SVG + "svg" and "epoch 6" in svg_text
    page = live.save(tmp_path / "run.html").read_text()
    assert page.count("<svg") == 1 and page.startswith("<!DOCTYPE html>")
    data = json.loads(page.split("D = ", 1)[1].split(", tries", 1)[0])
    assert data["epochs"] == [0, 2, 4, 6] and len(data["frames"]) == 4
    with pytest.raises(ValueError, match="path"):
        live.save(tmp_path / "run.mp4")
    with pytest.raises(ValueError, match="path's folder"):
        live.save(tmp_path / "missing" / "run.html")
    with pytest.raises(ValueError, match="fmt"):
        live.render(fmt="jpg")


def test_outside_jupyter_nothing_is_printed(tmp_path):
    script = (
        "import nn, optim, viz\nfrom nn import datasets\n"
        "X, y = datasets.make_moons(30, noise=0.1, rng=0)\n"
        "model = nn.MLP(2, [4, 1], seed=0)\n"
        "live = viz.LiveTraining(model, data=(X, 2 * y - 1))\n"
        "nn.fit(model, nn.HingeLoss(), optim.SGD(model.parameters(), lr=0.5), (X, 2 * y - 1), epochs=3,"
        " batch_size=30, callbacks=[live])\n"
        f"live.save({str(tmp_path / 'run.html')!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    assert (tmp_path / "run.html").stat().st_size > 10_000


# -- bad input ----------------------------------------------------------------------------


def test_bad_input_names_the_argument():
    X, y = moons(20)
    model = nn.MLP(2, [3, 1], seed=0)
    for bad in (Value(1.0), [1, 2], nn.Layer(2, 3), nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))):
        with pytest.raises(TypeError, match="model"):
            viz.LiveTraining(bad)
    with pytest.raises(ValueError, match="model must start with an nn.Linear"):
        viz.LiveTraining(nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    for every in (0, -2):
        with pytest.raises(ValueError, match="every"):
            viz.LiveTraining(model, every=every)
    for every in (1.5, True, "2", None):
        with pytest.raises(TypeError, match="every"):
            viz.LiveTraining(model, every=every)
    with pytest.raises(TypeError, match="show"):
        viz.LiveTraining(model, show="graph")
    with pytest.raises(ValueError, match="show has an unknown entry 'weights'"):
        viz.LiveTraining(model, show=("graph", "weights"))
    with pytest.raises(ValueError, match="show is empty"):
        viz.LiveTraining(model, show=())
    with pytest.raises(ValueError, match=r"data's X must have shape \(N, 2\).*\(20, 3\)"):
        viz.LiveTraining(model, data=np.zeros((20, 3)))
    with pytest.raises(ValueError, match=r"data's X must have shape"):
        viz.LiveTraining(model, data=np.zeros(20))
    with pytest.raises(ValueError, match="data's y must hold one label per row"):
        viz.LiveTraining(model, data=(X, y[:5]))
    with pytest.raises(ValueError, match="NaN"):
        viz.LiveTraining(model, data=np.full((3, 2), np.nan))
    wide = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(ValueError, match="'boundary', which needs data with 2 features"):
        viz.LiveTraining(wide, data=np.zeros((5, 3)), show=("graph", "boundary"))
    assert viz.LiveTraining(wide, data=np.zeros((5, 3))).show == ("graph", "loss")  # the default just leaves it out
    with pytest.raises(ValueError, match="probe"):
        viz.LiveTraining(model, data=X, probe=20)
    with pytest.raises(ValueError, match="probe"):
        viz.LiveTraining(model, probe=0)
    with pytest.raises(TypeError, match="probe"):
        viz.LiveTraining(model, data=X, probe=1.0)
    live = viz.LiveTraining(model, data=X)
    with pytest.raises(TypeError, match="loss"):
        live.update(model, loss="low")
    with pytest.raises(TypeError, match="loss"):
        live.update(model, loss=Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="another shape"):
        live.update(nn.MLP(2, [4, 1], seed=0), loss=1.0)
    with pytest.raises(TypeError, match="nn.fit's epoch record"):
        live(0.5)
    live.update(model, loss=1.0, epoch=3)
    with pytest.raises(ValueError, match="epoch must grow"):
        live.update(model, loss=1.0, epoch=3)

"""Frames into a GIF, or into an ipywidgets player for a live kernel.

A stepper's frames share one layout (``viz.placement``), so they already have one size;
``common_size`` still pads any odd one out (white, centred) so nothing jumps. The GIF
uses one palette, made from the first frame with the highlight colours added, for every
frame: quantizing each frame on its own was most of the time of writing a GIF.

The player that also works without a kernel (exported notebooks, web pages) is
``viz.player``; the widget here needs ipywidgets (optional) and a live kernel.
"""

from __future__ import annotations

import html
import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from . import style


def render_all(pictures: Sequence) -> list[bytes]:
    """Every picture as PNG bytes. Graphviz frames are drawn by ``neato`` processes, two or
    more at a time (one per core); matplotlib frames in this process, one after the other."""
    if pictures and all(p.engine == "graphviz" for p in pictures):
        workers = max(1, min(4, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda p: p.render("png"), pictures))
    return [p.render("png") for p in pictures]


def common_size(pngs: Sequence[bytes]) -> list[Image.Image]:
    """The frames as RGB images, all padded (white, centred) to the largest width and height."""
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    width = max(image.width for image in images)
    height = max(image.height for image in images)
    padded = []
    for image in images:
        if image.size == (width, height):
            padded.append(image)
            continue
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
        padded.append(canvas)
    return padded


def _palette(first: Image.Image) -> Image.Image:
    """A 256-colour palette from the first frame, with room kept for the highlight colours
    (a later frame highlights other boxes) and the gradient red."""
    swatches = [style.CURRENT_FILL, style.CURRENT_BORDER, style.TEXT_COLOR["grad"], style.TEXT_COLOR["pending"]]
    strip = Image.new("RGB", (first.width, max(8, first.height // 10)), "white")
    step = max(1, first.width // len(swatches))
    for i, colour in enumerate(swatches):
        strip.paste(Image.new("RGB", (step, strip.height), colour), (i * step, 0))
    sample = Image.new("RGB", (first.width, first.height + strip.height), "white")
    sample.paste(first, (0, 0))
    sample.paste(strip, (0, first.height))
    palette = sample.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    colours = palette.getpalette()[: 3 * 255]
    # median cut averages the background into an off-white: make its nearest entry pure white
    nearest = min(range(len(colours) // 3), key=lambda i: sum(255 - c for c in colours[3 * i: 3 * i + 3]))
    colours[3 * nearest: 3 * nearest + 3] = [255, 255, 255]
    palette.putpalette(colours)
    return palette


def _indexed(frame: Image.Image, palette: Image.Image) -> Image.Image:
    """``frame`` in ``palette``'s colours; the white background exactly white (Pillow's
    nearest-colour lookup is approximate and would tint it)."""
    image = frame.quantize(palette=palette, dither=Image.Dither.NONE)
    colours = palette.getpalette()
    white_index = next(i for i in range(len(colours) // 3) if colours[3 * i: 3 * i + 3] == [255, 255, 255])
    indices = np.asarray(image).copy()
    indices[(np.asarray(frame) == 255).all(axis=2)] = white_index
    fixed = Image.frombytes("P", image.size, indices.tobytes())
    fixed.putpalette(colours)
    return fixed


def write_gif(pngs: Sequence[bytes], path: str | Path, seconds_per_frame: float = 1.5) -> Path:
    """An animated GIF of the frames, looping forever; the last frame stays twice as long."""
    if not pngs:
        raise ValueError("no frames to write")
    path = Path(path)
    frames = common_size(pngs)
    palette = _palette(frames[0])
    indexed = [_indexed(frame, palette) for frame in frames]
    duration = [int(seconds_per_frame * 1000)] * len(indexed)
    duration[-1] *= 2
    indexed[0].save(path, format="GIF", save_all=True, append_images=indexed[1:], duration=duration, loop=0)
    return path


def widget(frame: Callable[[int], bytes], captions: Sequence[str], seconds_per_frame: float = 1.5):
    """An ipywidgets player: frame ``k`` (``frame(k)``: PNG bytes, drawn when first shown),
    its caption, previous / play / next and a slider."""
    import ipywidgets as widgets

    cache: dict[int, bytes] = {}

    def png(k: int) -> bytes:
        if k not in cache:
            cache[k] = frame(k)
        return cache[k]

    last = len(captions) - 1
    image = widgets.Image(value=png(0), format="png")
    caption = widgets.HTML(html.escape(captions[0]))
    slider = widgets.IntSlider(value=0, min=0, max=last, description="step", continuous_update=True)
    play = widgets.Play(value=0, min=0, max=last, interval=int(seconds_per_frame * 1000), description="play")
    previous = widgets.Button(description="◀ previous")
    following = widgets.Button(description="next ▶")
    widgets.jslink((play, "value"), (slider, "value"))

    def show(change: dict) -> None:
        image.value = png(change["new"])
        caption.value = html.escape(captions[change["new"]])

    slider.observe(show, names="value")
    previous.on_click(lambda _: setattr(slider, "value", max(0, slider.value - 1)))
    following.on_click(lambda _: setattr(slider, "value", min(last, slider.value + 1)))
    return widgets.VBox([image, caption, widgets.HBox([previous, play, following, slider])])

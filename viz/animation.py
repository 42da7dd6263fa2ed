"""Frames (PNG bytes) into a GIF, an HTML player for static pages, or a Jupyter widget.

Frames are padded to one size first (white, centred), so nothing jumps from one frame
to the next. The HTML player is one self-contained ``<div>``: the frames as base64 PNGs
and a few lines of JavaScript for previous / play / next and a slider; it needs no
kernel, so it keeps working in an exported notebook or a static web page, and shows
the first frame where scripts are blocked. The widget needs ipywidgets (optional).
"""

from __future__ import annotations

import base64
import html
import io
import json
import uuid
from pathlib import Path
from typing import Sequence

from PIL import Image


def common_size(pngs: Sequence[bytes]) -> list[Image.Image]:
    """The frames as RGB images, all padded (white, centred) to the largest width and height."""
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    width = max(image.width for image in images)
    height = max(image.height for image in images)
    padded = []
    for image in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
        padded.append(canvas)
    return padded


def padded_pngs(pngs: Sequence[bytes]) -> list[bytes]:
    """``common_size`` as PNG bytes again."""
    out = []
    for image in common_size(pngs):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        out.append(buffer.getvalue())
    return out


def write_gif(pngs: Sequence[bytes], path: str | Path, seconds_per_frame: float = 1.5) -> Path:
    """An animated GIF of the frames, looping forever; the last frame stays twice as long."""
    if not pngs:
        raise ValueError("no frames to write")
    path = Path(path)
    frames = common_size(pngs)
    duration = [int(seconds_per_frame * 1000)] * len(frames)
    duration[-1] *= 2
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], duration=duration, loop=0)
    return path


def html_player(pngs: Sequence[bytes], captions: Sequence[str], seconds_per_frame: float = 1.5) -> str:
    """A self-contained HTML player of the frames (see the module docstring)."""
    if not pngs:
        raise ValueError("no frames to show")
    ident = "bp" + uuid.uuid4().hex[:12]
    sources = ["data:image/png;base64," + base64.b64encode(png).decode("ascii") for png in padded_pngs(pngs)]
    frames_js = json.dumps(sources)
    captions_js = json.dumps([html.escape(c) for c in captions], ensure_ascii=False)
    last = len(pngs) - 1
    interval = int(seconds_per_frame * 1000)
    return f"""<div id="{ident}" style="font-family: sans-serif">
<div><img id="{ident}-img" style="max-width: 100%" src="{sources[0]}"></div>
<div id="{ident}-cap" style="margin: 4px 0">{html.escape(captions[0])}</div>
<div>
<button id="{ident}-prev" title="previous step">&#9664;</button>
<button id="{ident}-play" title="play / pause">&#9654; play</button>
<button id="{ident}-next" title="next step">&#9654;</button>
<input id="{ident}-slider" type="range" min="0" max="{last}" value="0"
       style="width: 50%; vertical-align: middle">
<span id="{ident}-count">0 / {last}</span>
</div>
<script>
(function() {{
  var frames = {frames_js};
  var captions = {captions_js};
  var k = 0, timer = null;
  function el(name) {{ return document.getElementById("{ident}-" + name); }}
  function show(i) {{
    k = Math.max(0, Math.min({last}, i));
    el("img").src = frames[k];
    el("cap").innerHTML = captions[k];
    el("slider").value = k;
    el("count").textContent = k + " / {last}";
  }}
  function stop() {{
    if (timer) {{ clearInterval(timer); timer = null; el("play").innerHTML = "&#9654; play"; }}
  }}
  el("prev").onclick = function() {{ stop(); show(k - 1); }};
  el("next").onclick = function() {{ stop(); show(k + 1); }};
  el("slider").oninput = function() {{ stop(); show(parseInt(this.value, 10)); }};
  el("play").onclick = function() {{
    if (timer) {{ stop(); return; }}
    if (k >= {last}) show(0);
    el("play").innerHTML = "&#10074;&#10074; pause";
    timer = setInterval(function() {{ if (k >= {last}) stop(); else show(k + 1); }}, {interval});
  }};
  show(0);
}})();
</script>
</div>"""


def widget(pngs: Sequence[bytes], captions: Sequence[str], seconds_per_frame: float = 1.5):
    """An ipywidgets player: the frame, its caption, previous / play / next and a slider."""
    import ipywidgets as widgets

    frames = padded_pngs(pngs)
    last = len(frames) - 1
    image = widgets.Image(value=frames[0], format="png")
    caption = widgets.HTML(html.escape(captions[0]))
    slider = widgets.IntSlider(value=0, min=0, max=last, description="step", continuous_update=True)
    play = widgets.Play(value=0, min=0, max=last, interval=int(seconds_per_frame * 1000), description="play")
    previous = widgets.Button(description="◀ previous")
    following = widgets.Button(description="next ▶")
    widgets.jslink((play, "value"), (slider, "value"))

    def show(change: dict) -> None:
        image.value = frames[change["new"]]
        caption.value = html.escape(captions[change["new"]])

    slider.observe(show, names="value")
    previous.on_click(lambda _: setattr(slider, "value", max(0, slider.value - 1)))
    following.on_click(lambda _: setattr(slider, "value", min(last, slider.value + 1)))
    return widgets.VBox([image, caption, widgets.HBox([previous, play, following, slider])])

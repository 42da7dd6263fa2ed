"""``viz.LiveTraining``'s frames drawn: as SVG, as PNG (Pillow, for GIFs), and as the recorded player.

A frame is a list of ``viz.live_frame.El`` (rect, circle, line, polyline, polygon, path,
text, image). ``svg`` writes them as they are; ``png`` draws the same elements with
Pillow at twice the size and scales down (smooth edges), with matplotlib's DejaVu fonts,
so a GIF frame looks like the page. ``player_html`` is the kernel-free player of a whole
run, built like the step-through player (``viz.player``): the first frame drawn once as
SVG, every element that ever changes given an id, and per frame one index per such
element into a table of distinct states (its changing attributes and text); a small
script restyles, for frame k, only the elements whose state differs from the frame
shown. Nothing is fetched, no kernel is needed, so the player survives a notebook
exported to HTML.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
import uuid
from pathlib import Path
from typing import Sequence

from . import player
from .live_frame import El

SVG_NS = "http://www.w3.org/2000/svg"
FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"


def _escaped(value: str) -> str:
    """``value`` safe inside a double-quoted attribute (most are numbers or colours: left as they are)."""
    return html.escape(value) if ("&" in value or "<" in value or '"' in value or ">" in value) else value


def _element(el: El, ident: str | None = None) -> str:
    attrs = "".join(f' {name}="{_escaped(value)}"' for name, value in el.attrs.items())
    if ident is not None:
        attrs = f' id="{ident}"' + attrs
    if el.tag == "text":
        return f"<text{attrs}>{html.escape(el.text or '', quote=False)}</text>"
    if el.text is not None:  # a shape's tooltip
        return f"<{el.tag}{attrs}><title>{html.escape(el.text, quote=False)}</title></{el.tag}>"
    return f"<{el.tag}{attrs}/>"


def svg(elements: Sequence[El], width: float, height: float, ids: dict[int, str] | None = None) -> str:
    """The frame as one ``<svg>`` element; ``ids``: element index -> id, for the ones a player restyles."""
    ids = ids or {}
    body = "\n".join(_element(el, ids.get(i)) for i, el in enumerate(elements))
    return (f'<svg xmlns="{SVG_NS}" class="lt-frame" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
            f'font-family="{FONT_FAMILY}" style="max-width: {width:.0f}px; height: auto; background: white">'
            f"\n{body}\n</svg>")


# -- PNG ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _font(size: float, bold: bool):
    from matplotlib import get_data_path
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(get_data_path()) / "fonts" / "ttf" / name), size=max(1, round(size)))


def _colour(value: str, opacity: str | None = None) -> tuple | None:
    if value in ("none", ""):
        return None
    value = {"white": "#ffffff", "black": "#000000"}.get(value, value)
    r, g, b = (int(value[i:i + 2], 16) for i in (1, 3, 5))
    return (r, g, b, int(round(255 * float(opacity)))) if opacity is not None else (r, g, b, 255)


def _points(spec: str, s: float) -> list[tuple[float, float]]:
    return [(float(a) * s, float(b) * s) for a, b in (p.split(",") for p in spec.split())]


_COMMAND = re.compile(r"([MLhvZ])([^MLhvZ]*)")


def _subpaths(d: str, s: float) -> list[tuple[list[tuple[float, float]], bool]]:
    """The pieces of a path of the commands this module's frames use (M x,y  L x,y  h dx  v dy  Z),
    as (points scaled by ``s``, closed)."""
    pieces: list[tuple[list, bool]] = []
    x = y = 0.0
    for command, argument in _COMMAND.findall(d):
        if command == "M":
            x, y = map(float, argument.split(","))
            pieces.append(([], False))
        elif command == "L":
            x, y = map(float, argument.split(","))
        elif command == "h":
            x += float(argument)
        elif command == "v":
            y += float(argument)
        else:
            pieces[-1] = (pieces[-1][0], True)
            continue
        pieces[-1][0].append((x * s, y * s))
    return pieces


def png(elements: Sequence[El], width: float, height: float, scale: float = 1.0) -> bytes:
    """The frame as PNG bytes, ``scale`` pixels per SVG unit."""
    return _encode(image(elements, width, height, scale))


def _encode(picture) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def image(elements: Sequence[El], width: float, height: float, scale: float = 1.0):
    """The frame as a Pillow RGB image (drawn at twice ``scale`` and scaled down)."""
    from PIL import Image, ImageDraw

    s = 2 * scale
    canvas = Image.new("RGB", (2 * int(round(width * scale)), 2 * int(round(height * scale))), "white")
    draw = ImageDraw.Draw(canvas, "RGBA")
    for el in elements:
        a = el.attrs
        num = lambda name: float(a[name]) * s  # noqa: E731
        stroke_width = max(1, round(float(a.get("stroke-width", "1")) * s))
        if el.tag == "rect":
            fill = _colour(a["fill"], a.get("fill-opacity"))
            outline = _colour(a.get("stroke", "none"))
            if num("width") > 0 and num("height") > 0:
                draw.rectangle([num("x"), num("y"), num("x") + num("width"), num("y") + num("height")],
                               fill=fill, outline=outline, width=stroke_width if outline else 0)
        elif el.tag == "circle":
            r = num("r")
            if r > 0:
                box = [num("cx") - r, num("cy") - r, num("cx") + r, num("cy") + r]
                outline = _colour(a.get("stroke", "none"))
                draw.ellipse(box, fill=_colour(a["fill"]), outline=outline, width=stroke_width if outline else 0)
        elif el.tag == "line":
            draw.line([num("x1"), num("y1"), num("x2"), num("y2")],
                      fill=_colour(a["stroke"], a.get("stroke-opacity")), width=stroke_width)
        elif el.tag == "polyline" and a["points"]:
            points = _points(a["points"], s)
            if len(points) > 1:
                draw.line(points, fill=_colour(a["stroke"]), width=stroke_width, joint="curve")
        elif el.tag == "polygon":
            draw.polygon(_points(a["points"], s), fill=_colour(a["fill"], a.get("fill-opacity")))
        elif el.tag == "path" and a["d"]:
            for points, closed in _subpaths(a["d"], s):
                if closed and a.get("fill", "none") != "none":
                    draw.polygon(points, fill=_colour(a["fill"]))
                elif len(points) > 1:
                    draw.line(points, fill=_colour(a["stroke"]), width=stroke_width, joint="curve")
        elif el.tag == "image" and a["href"]:
            data = base64.b64decode(a["href"].split(",", 1)[1])
            region = Image.open(io.BytesIO(data)).convert("RGB")
            size = (max(1, round(num("width"))), max(1, round(num("height"))))
            canvas.paste(region.resize(size, Image.BILINEAR), (round(num("x")), round(num("y"))))
        elif el.tag == "text" and el.text:
            anchor = {"start": "ls", "middle": "ms", "end": "rs"}[a.get("text-anchor", "start")]
            font = _font(float(a["font-size"]) * s, a.get("font-weight") == "bold")
            draw.text((num("x"), num("y")), el.text, font=font, fill=_colour(a["fill"]), anchor=anchor)
    return canvas.reduce(2)  # each pixel the mean of 2 x 2: smooth edges


def save_gif(frames: Sequence[Sequence[El]], width: float, height: float, path: str | Path,
             seconds_per_frame: float) -> Path:
    """Every frame into one looping GIF at ``path``."""
    pictures = [image(elements, width, height).quantize(colors=256) for elements in frames]
    path = Path(path)
    pictures[0].save(path, save_all=True, append_images=pictures[1:], loop=0,
                     duration=max(20, int(seconds_per_frame * 1000)), optimize=False)
    return path


# -- the player ---------------------------------------------------------------------------

_SCRIPT = r"""
(function () {
  var P = "__PREFIX__", D = __DATA__, tries = 0;
  function start() {  // a notebook may run an output's script before the output is on the page
    if (document.getElementById(P)) { play(document.getElementById(P)); }
    else if (tries++ < 200) { setTimeout(start, 50); }
  }
  function play(root) {
    function el(name) { return document.getElementById(P + "-" + name); }
    var nodes = D.dynamic.map(function (i) { return el("n" + i); });
    var shown = D.frames[0], k = 0, timer = null, last = D.frames.length - 1;
    function apply(node, keys, values) {
      for (var i = 0; i < keys.length; i++) {
        if (keys[i] === "#text") {
          if (node.tagName.toLowerCase() === "text") node.textContent = values[i];
          else node.querySelector("title").textContent = values[i];
        } else node.setAttribute(keys[i], values[i]);
      }
    }
    function show(i) {
      k = Math.max(0, Math.min(last, i));
      var frame = D.frames[k];
      for (var n = 0; n < nodes.length; n++)
        if (shown[n] !== frame[n]) apply(nodes[n], D.keys[n], D.states[frame[n]]);
      shown = frame;
      el("slider").value = k;
      el("count").textContent = "epoch " + D.epochs[k] + "  (" + k + " / " + last + ")";
      root.setAttribute("data-frame", k);
    }
    __CONTROLS__
    root.setAttribute("data-ready", "1");
  }
  start();
})();
"""


def _state(el: El, keys: Sequence[str]) -> list[str]:
    return [el.text or "" if key == "#text" else el.attrs[key] for key in keys]


def player_html(frames: Sequence[Sequence[El]], width: float, height: float, epochs: Sequence[int],
                seconds_per_frame: float = 0.4) -> str:
    """The player of ``frames`` (each the same elements, see the module docstring), ``epochs[k]`` the
    epoch of frame k."""
    if not frames:
        raise ValueError("no frames to play: record a snapshot first")
    first = frames[0]
    if any(len(f) != len(first) or any(a.tag != b.tag for a, b in zip(f, first)) for f in frames):
        raise ValueError("the frames do not share one layout")
    dynamic, keys = [], []
    for i, el in enumerate(first):
        changing = [name for name in el.attrs if any(f[i].attrs[name] != el.attrs[name] for f in frames)]
        if any((f[i].text or "") != (el.text or "") for f in frames):
            changing.append("#text")
        if changing:
            dynamic.append(i)
            keys.append(changing)
    states: list[list[str]] = []
    index: dict[str, int] = {}
    table = []
    for f in frames:
        table.append([player.intern(_state(f[i], k), states, index) for i, k in zip(dynamic, keys)])
    prefix = "lt" + uuid.uuid4().hex[:12]
    data = {"dynamic": dynamic, "keys": keys, "states": states, "frames": table, "epochs": list(epochs),
            "interval": max(50, int(seconds_per_frame * 1000))}
    ids = {i: f"{prefix}-n{i}" for i in dynamic}
    last = len(frames) - 1
    return f"""<div id="{prefix}" class="lt-player" data-frame="0" style="font-family: sans-serif; max-width: 100%">
{player.controls_html(prefix, "lt-controls", "snapshot", last, f"epoch {epochs[0]}  (0 / {last})")}
<div id="{prefix}-view" style="overflow: auto; max-width: 100%">
{svg(first, width, height, ids)}
</div>
<script>{player.script(_SCRIPT, prefix, data)}</script>
</div>"""


def page(fragment: str, title: str = "LiveTraining") -> str:
    """A whole HTML page around a fragment."""
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body>\n{fragment}\n</body></html>\n")


"""The step-through player: one self-contained HTML fragment, no kernel, no network.

``player_html(scenes, placement)`` gives a ``<div>`` holding

- the graph drawn once as SVG (``viz.render_svg``: every box and arrow has an id),
  in the state of frame 0, so a page that blocks scripts still shows the start;
- every frame's state as data: for each box and arrow the index of its look in a
  table of distinct looks (a frame that changes three boxes differs from the one
  before in three numbers);
- a small inline script: previous / play / next, a slider, the frame counter and the
  step's caption (``upstream × local = downstream`` in numbers); showing frame k
  restyles only the boxes and arrows whose look differs from the frame shown.

Every id starts with a prefix unique to the player, so several players on one page do
not clash. The same fragment works in JupyterLab and classic Notebook output, in an
nbconvert HTML export and on a plain web page.
"""

from __future__ import annotations

import html
import json
import uuid
from typing import Sequence

from . import render_svg
from .placement import Placement
from .scene import Scene

# previous / play / next and the slider, for a player's script that defines el(name), show(i),
# k (the frame shown), last (the last frame), timer (null) and D.interval (ms per frame)
CONTROLS = r"""
  function stop() {
    if (timer) { clearInterval(timer); timer = null; el("play").textContent = "\u25b6 play"; }
  }
  el("prev").onclick = function () { stop(); show(k - 1); };
  el("next").onclick = function () { stop(); show(k + 1); };
  el("slider").oninput = function () { stop(); show(parseInt(this.value, 10)); };
  el("play").onclick = function () {
    if (timer) { stop(); return; }
    if (k >= last) show(0);
    el("play").textContent = "\u275a\u275a pause";
    timer = setInterval(function () { if (k >= last) stop(); else show(k + 1); }, D.interval);
  };"""

_SCRIPT = r"""
(function () {
  var P = "__PREFIX__", D = __DATA__, NS = "http://www.w3.org/2000/svg", tries = 0;
  // some notebook front ends run an output's scripts before the output is on the page: wait for it
  function start() {
    if (document.getElementById(P)) { play(document.getElementById(P)); }
    else if (tries++ < 200) { setTimeout(start, 50); }
  }
  function play(root) {
  function el(name) { return document.getElementById(P + "-" + name); }
  var boxes = D.boxes.map(function (key) { return el(key); });
  var edges = []; for (var e = 0; e < D.edges; e++) edges.push(el("e" + e));
  var shown = null, k = 0, timer = null, last = D.captions.length - 1;
  function mark(g, on) {
    var c = g.getAttribute("class").replace(/ bp-current/g, "");
    g.setAttribute("class", on ? c + " bp-current" : c);
  }
  function styleBox(g, s) {
    var shape = g.querySelector(".bp-shape");
    shape.setAttribute("fill", s[0]); shape.setAttribute("stroke", s[1]);
    shape.setAttribute("stroke-width", s[2]);
    if (s[3]) shape.setAttribute("stroke-dasharray", "5,3"); else shape.removeAttribute("stroke-dasharray");
    var inner = g.querySelector(".bp-inner"); if (inner) inner.setAttribute("stroke", s[1]);
    var text = g.querySelector("text"), x = g.getAttribute("data-x"), y = +g.getAttribute("data-y");
    while (text.firstChild) text.removeChild(text.firstChild);
    var top = y - D.lineStep * (s[4].length - 1) / 2;
    s[4].forEach(function (line, i) {
      var look = D.looks[line[1]], span = document.createElementNS(NS, "tspan");
      span.setAttribute("x", x); span.setAttribute("y", (top + i * D.lineStep).toFixed(1));
      span.setAttribute("fill", look[0]);
      if (look[1]) span.setAttribute("font-weight", "bold");
      if (look[2]) span.setAttribute("font-style", "italic");
      span.textContent = line[0];
      text.appendChild(span);
    });
    mark(g, s[5]);
  }
  function styleEdge(g, s) {
    var line = g.querySelector(".bp-line"), label = g.querySelector(".bp-label");
    line.setAttribute("stroke", s[1]); line.setAttribute("stroke-width", s[3]);
    if (s[4]) line.setAttribute("stroke-dasharray", "5,3"); else line.removeAttribute("stroke-dasharray");
    g.querySelector(".bp-head").setAttribute("fill", s[1]);
    label.textContent = s[0]; label.setAttribute("fill", s[2]);
    if (s[5]) label.setAttribute("font-weight", "bold"); else label.removeAttribute("font-weight");
    mark(g, s[6]);
  }
  function show(i) {
    k = Math.max(0, Math.min(last, i));
    var frame = D.frames[k];
    for (var b = 0; b < boxes.length; b++)
      if (!shown || shown[0][b] !== frame[0][b]) styleBox(boxes[b], D.boxLooks[frame[0][b]]);
    for (var a = 0; a < edges.length; a++)
      if (!shown || shown[1][a] !== frame[1][a]) styleEdge(edges[a], D.edgeLooks[frame[1][a]]);
    shown = frame;
    reveal();
    el("cap").textContent = D.captions[k];
    el("slider").value = k;
    el("count").textContent = k + " / " + last;
    root.setAttribute("data-frame", k);
  }
  function reveal() {  // scroll the graph (not the page) to the highlighted box if it is out of sight
    var view = el("view"), current = view.querySelector(".bp-box.bp-current");
    if (!current) return;
    var r = current.getBoundingClientRect(), v = view.getBoundingClientRect();
    if (r.left < v.left || r.right > v.right) view.scrollLeft += (r.left + r.right) / 2 - (v.left + v.right) / 2;
    if (r.top < v.top || r.bottom > v.bottom) view.scrollTop += (r.top + r.bottom) / 2 - (v.top + v.bottom) / 2;
  }
__CONTROLS__
  shown = D.frames[0];
  root.setAttribute("data-ready", "1");
  }
  start();
})();
"""


def frame_data(scenes: Sequence[Scene]) -> dict:
    """The frames as look tables and, per frame, one look index per box and per arrow."""
    box_looks: list[list] = []
    edge_looks: list[list] = []
    box_index: dict[str, int] = {}
    edge_index: dict[str, int] = {}
    frames = []
    for scene in scenes:
        box_ids = [intern(render_svg.box_state(box), box_looks, box_index) for box in scene.boxes]
        edge_ids = [intern(render_svg.arrow_state(arrow), edge_looks, edge_index) for arrow in scene.arrows]
        frames.append([box_ids, edge_ids])
    return {"boxLooks": box_looks, "edgeLooks": edge_looks, "frames": frames}


def intern(state: list, table: list, index: dict) -> int:
    """The position of ``state`` in ``table`` (appended the first time it is seen): frames
    refer to looks by number, each distinct look stored once."""
    key = json.dumps(state, ensure_ascii=False)
    if key not in index:
        index[key] = len(table)
        table.append(state)
    return index[key]


def script(template: str, prefix: str, data: dict) -> str:
    """A player's script: ``template`` with the shared CONTROLS, the player's id prefix and
    its data (as JSON) filled in. "<" is written \\u003c, so that the data can never close
    the <script> element, whatever the labels say."""
    data_js = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return template.replace("__CONTROLS__", CONTROLS).replace("__PREFIX__", prefix).replace("__DATA__", data_js)


def controls_html(prefix: str, css_class: str, unit: str, last: int, count: str) -> str:
    """The bar of previous / play / next buttons, the slider over frames 0..``last`` and the
    ``count`` text, with the ids CONTROLS looks for; ``unit`` names a frame ("step")."""
    button = 'type="button" style="font-size: 14px; min-width: 2.5em"'
    return f"""<div class="{css_class}" style="margin: 4px 0">
<button id="{prefix}-prev" {button} title="previous {unit}">&#9664;</button>
<button id="{prefix}-play" {button} title="play / pause">&#9654; play</button>
<button id="{prefix}-next" {button} title="next {unit}">&#9654;</button>
<input id="{prefix}-slider" type="range" min="0" max="{last}" value="0" step="1"
       style="width: 40%; vertical-align: middle" aria-label="{unit}">
<span id="{prefix}-count">{count}</span>
</div>"""


def player_html(scenes: Sequence[Scene], placement: Placement, seconds_per_frame: float = 1.5) -> str:
    """The player of ``scenes`` (a stepper's frames, captions included), laid out by ``placement``."""
    if not scenes:
        raise ValueError("no frames to show")
    prefix = "bp" + uuid.uuid4().hex[:12]
    first = scenes[0]
    data = frame_data(scenes)
    data.update(
        boxes=[box.key for box in first.boxes],
        edges=len(first.arrows),
        captions=[scene.caption for scene in scenes],
        looks=render_svg.LINE_LOOK,
        lineStep=render_svg.style.FONT_SIZE * render_svg.LINE_SPACING,
        interval=max(50, int(seconds_per_frame * 1000)),
    )
    last = len(scenes) - 1
    return f"""<div id="{prefix}" class="bp-player" data-frame="0" style="font-family: sans-serif; max-width: 100%">
{controls_html(prefix, "bp-controls", "step", last, f"0 / {last}")}
<div id="{prefix}-cap" class="bp-caption" style="margin: 4px 0 6px; font-size: 14px; min-height: 1.3em">{html.escape(first.caption, quote=False)}</div>
<div id="{prefix}-view" class="bp-view" style="overflow: auto; max-width: 100%; max-height: 80vh">
{render_svg.svg(first, placement, prefix)}
</div>
<script>{script(_SCRIPT, prefix, data)}</script>
</div>"""

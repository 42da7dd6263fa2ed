"""How ``viz.LiveTraining`` turns numbers into colours and widths (one place, used by every frame).

- a unit's fill: its activation a on a diverging scale, blue (a <= -1), white (0), red
  (a >= 1); a dead unit (0 on every probe row) is grey;
- a unit's outline: its gradient norm g = ‖(∂L/∂W[:, j], ∂L/∂b_j)‖, on a log scale: width
  0.8 px at g <= 1e-4 growing to 4.5 px; light grey below 1e-4 (vanishing), dark grey up
  to 1, orange up to 10 (large), red beyond (exploding);
- an edge: its weight w, red for w > 0, blue for w < 0, width and opacity growing with
  |w| / the largest |w| of that layer in the first frame (so growth shows as thicker lines).
"""

from __future__ import annotations

import functools
import math

BLUE, WHITE, RED = (33, 102, 172), (247, 247, 247), (178, 24, 43)
DEAD_FILL = "#9a9a9a"
NO_DATA_FILL = "#e6e6e6"
POSITIVE_EDGE, NEGATIVE_EDGE, ZERO_EDGE = "#c0392b", "#2e6fb0", "#b0b0b0"
TRAIN_COLOUR, VAL_COLOUR, LR_COLOUR = "#1f5fa8", "#e07b00", "#4c8b3a"
CLASS_COLOURS = ["#3b6ea5", "#c0392b", "#4c8b3a", "#e07b00", "#7b4ea5", "#8c564b", "#d4458f", "#7f7f7f",
                 "#a5a51e", "#17a2b8"]
GRADIENT_BANDS = ((1e-4, "#c8c8c8", "vanishing"), (1.0, "#555555", "normal"), (10.0, "#e07b00", "large"),
                  (math.inf, "#d00000", "exploding"))
TEXT = "#222222"
MUTED = "#666666"


def hex_colour(rgb: tuple[float, float, float]) -> str:
    return "#%02x%02x%02x" % tuple(int(round(c)) for c in rgb)


def mix(a: tuple, b: tuple, t: float) -> tuple:
    return tuple(x + (y - x) * t for x, y in zip(a, b))


def diverging(value: float) -> str:
    """Blue at -1, white at 0, red at +1 (clipped), in 32 steps per side."""
    if not math.isfinite(value):
        return NO_DATA_FILL
    return _diverging_step(round(max(-1.0, min(1.0, value)) * 32))


@functools.lru_cache(maxsize=None)
def _diverging_step(step: int) -> str:
    t = step / 32
    return hex_colour(mix(WHITE, RED, t) if t >= 0 else mix(WHITE, BLUE, -t))


def is_dark(colour: str) -> bool:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b < 120


def gradient_outline(g: float) -> tuple[str, float]:
    """``(colour, width)`` of a unit's outline for gradient norm ``g``."""
    if not math.isfinite(g):
        return GRADIENT_BANDS[-1][1], 4.5
    if g <= 0:
        return GRADIENT_BANDS[0][1], 0.8
    width = max(0.8, min(4.5, 0.8 + 0.55 * (math.log10(g) + 4)))
    colour = next(c for limit, c, _ in GRADIENT_BANDS if g < limit)
    return colour, round(width, 1)


def edge_look(w: float, reference: float) -> tuple[str, float, float]:
    """``(colour, width, opacity)`` of the edge of weight ``w``; ``reference`` is the layer's
    largest |w| in the first frame."""
    if not math.isfinite(w):
        return GRADIENT_BANDS[-1][1], 3.0, 1.0
    if w == 0:
        return ZERO_EDGE, 0.3, 0.5
    t = min(1.0, abs(w) / reference)
    return (POSITIVE_EDGE if w > 0 else NEGATIVE_EDGE), round(0.3 + 2.7 * t, 1), round(0.2 + 0.8 * t, 2)


def class_colour(k: int) -> str:
    return CLASS_COLOURS[k % len(CLASS_COLOURS)]


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def number(value: float | None, digits: int = 3) -> str:
    """A short label for a number: 3 significant digits, '-' for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"

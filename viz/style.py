"""Colours and sizes shared by both renderers, so a picture looks the same from either."""

from __future__ import annotations

FONT_SIZE = 11  # points, box text
EDGE_FONT_SIZE = 10  # points, arrow labels
CAPTION_FONT_SIZE = 12

BOX_FILL = {"value": "#e8f1fb", "op": "#f2f2f2", "group": "#eaf6e6"}
BOX_BORDER = {"value": "#3b6ea5", "op": "#666666", "group": "#4c8b3a"}
CURRENT_FILL = "#ffe9a8"  # the node of the current step
CURRENT_BORDER = "#d9480f"
CURRENT_EDGE = "#d9480f"

#: Colour of each kind of text line (see ``scene.Line``).
TEXT_COLOR = {
    "title": "#111111",
    "data": "#111111",
    "grad": "#b3261e",  # gradients in red, as on the slides
    "pending": "#8a8a8a",  # not computed yet
    "blank": "#1c4fa1",  # exercise blanks
    "note": "#6b6b6b",
}
EDGE_COLOR = "#555555"
EDGE_LABEL_COLOR = {"data": "#333333", "grad": "#b3261e", "pending": "#8a8a8a", "blank": "#1c4fa1"}
#: A faint arrow (one of a crowded band, ``scene.Arrow.faint``): thin and light grey, so
#: hundreds of them read as "all to all" without hiding the boxes.
FAINT_EDGE_COLOR = "#c4c4c4"
FAINT_EDGE_WIDTH = 0.5  # points
FAINT_ARROW_SIZE = 0.5  # of a normal arrowhead

"""Labels on a matplotlib map that do not collide: greedy, by priority, with bounding boxes.

Each label is tried at a few places around its anchor (right, left, above, below, then the
diagonals); the first place where its box stays inside the map and meets no box already taken
(an earlier label, a marker, the scale bar) is kept. A label with no free place is left out,
never drawn over another. Priority decides who wins: edge arrows first, then sites, then areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# (dx, dy) in points from the anchor, with the text's alignment there.
PLACES: tuple[tuple[float, float, str, str], ...] = (
    (6, 0, "left", "center"),
    (-6, 0, "right", "center"),
    (0, 6, "center", "bottom"),
    (0, -6, "center", "top"),
    (5, 5, "left", "bottom"),
    (5, -5, "left", "top"),
    (-5, 5, "right", "bottom"),
    (-5, -5, "right", "top"),
)


@dataclass
class Label:
    """A label to place: ``text`` near data point (x, y); lower ``priority`` is placed first."""

    x: float
    y: float
    text: str
    priority: int = 1
    color: str = "#1a1a1a"
    fontsize: float = 7.0
    weight: str = "normal"
    places: Sequence[tuple[float, float, str, str]] = field(default=PLACES)
    gid: str = "site-label"
    # Drawn at its first place that stays inside the map even when every place is taken.
    required: bool = False


def place_labels(ax: Any, labels: Iterable[Label], taken: list[Any] | None = None) -> list[Any]:
    """Draw each label where it fits; return the matplotlib Text objects drawn.

    ``taken`` holds display-space boxes (matplotlib ``Bbox``) already in use; the placed labels'
    boxes are added to it.
    """
    figure = ax.figure
    renderer = figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = taken if taken is not None else []
    drawn = []
    for label in sorted(labels, key=lambda item: item.priority):
        for dx, dy, ha, va in label.places:
            text = _annotate(ax, label, (dx, dy, ha, va), zorder=8, alpha=0.78)
            text.set_gid(f"{label.gid}-{len(drawn)}")  # SVG ids are unique
            box = text.get_window_extent(renderer).expanded(1.04, 1.15)
            fits = (
                box.x0 >= frame.x0
                and box.x1 <= frame.x1
                and box.y0 >= frame.y0
                and box.y1 <= frame.y1
            )
            if fits and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                drawn.append(text)
                break
            text.remove()
        else:
            if label.required:
                drawn.append(_forced(ax, label, renderer, frame, taken, len(drawn)))
    return drawn


def _annotate(
    ax: Any, label: Label, place: tuple[float, float, str, str], *, zorder: float, alpha: float
) -> Any:
    """The label's text at one place, on a white box of ``alpha``."""
    dx, dy, ha, va = place
    return ax.annotate(
        label.text,
        (label.x, label.y),
        xytext=(dx, dy),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=label.fontsize,
        fontweight=label.weight,
        color=label.color,
        zorder=zorder,
        annotation_clip=False,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": alpha},
    )


def _forced(ax: Any, label: Label, renderer: Any, frame: Any, taken: list[Any], index: int) -> Any:
    """A required label at its first place inside the map, overlaps allowed."""
    for dx, dy, ha, va in (*label.places, *PLACES):
        text = _annotate(ax, label, (dx, dy, ha, va), zorder=8.5, alpha=0.85)
        text.set_gid(f"{label.gid}-{index}")
        box = text.get_window_extent(renderer)
        if box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1:
            break
        if (dx, dy, ha, va) != PLACES[-1]:
            text.remove()
    taken.append(box)
    return text


def marker_boxes(ax: Any, points: Iterable[tuple[float, float]], radius_px: float) -> list[Any]:
    """Display-space boxes around markers at data points, for labels to avoid."""
    from matplotlib.transforms import Bbox

    points = list(points)
    if not points:
        return []
    boxes = []
    for x, y in ax.transData.transform(points):
        boxes.append(Bbox([[x - radius_px, y - radius_px], [x + radius_px, y + radius_px]]))
    return boxes

"""A `Scene` as a PNG, drawn by matplotlib (the `search` extra) on the same pixel grid as the SVG."""

from __future__ import annotations

import io

from .layout import Circle, Path, Polygon, Rect, Scene, Text

DPI = 100
SCALE = 2  # pixels per scene unit: sharp text


def to_png(scene: Scene) -> bytes:
    """The PNG image of `scene`, at twice its size in pixels."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle as CirclePatch
    from matplotlib.patches import FancyBboxPatch, PathPatch
    from matplotlib.patches import Polygon as PolygonPatch
    from matplotlib.path import Path as MplPath

    figure = Figure(figsize=(scene.width * SCALE / DPI, scene.height * SCALE / DPI), dpi=DPI)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, scene.width)
    axes.set_ylim(scene.height, 0)
    axes.axis("off")
    points = 72.0 / DPI * SCALE  # a scene unit in points
    codes = {"M": [MplPath.MOVETO], "L": [MplPath.LINETO], "C": [MplPath.CURVE4] * 3}
    for z, item in enumerate(scene.items):
        if isinstance(item, Rect):
            axes.add_patch(FancyBboxPatch(
                (item.x, item.y), item.w, item.h, boxstyle=f"round,pad=0,rounding_size={item.radius}",
                facecolor=item.fill, edgecolor=item.stroke if item.stroke != "none" else "none",
                linewidth=item.width * points, alpha=item.opacity, zorder=z,
            ))
        elif isinstance(item, Text):
            axes.text(
                item.x, item.y, item.text, fontsize=item.size * points, family="DejaVu Sans Mono", color=item.color,
                fontweight="bold" if item.bold else "normal", fontstyle="italic" if item.italic else "normal",
                ha="center" if item.anchor == "middle" else "left", va="baseline", alpha=item.opacity, zorder=z,
            )
        elif isinstance(item, Path):
            vertices, kinds = [], []
            for segment in item.segments:
                values = segment[1:]
                vertices.extend(zip(values[0::2], values[1::2]))
                kinds.extend(codes[segment[0]])
            axes.add_patch(PathPatch(
                MplPath(vertices, kinds), facecolor="none", edgecolor=item.color, linewidth=item.width * points,
                linestyle=(0, (5 / item.width, 3 / item.width)) if item.dashed else "solid", alpha=item.opacity, zorder=z,
            ))
        elif isinstance(item, Polygon):
            axes.add_patch(PolygonPatch(item.points, closed=True, facecolor=item.color, edgecolor="none",
                                        alpha=item.opacity, zorder=z))
        elif isinstance(item, Circle):
            axes.add_patch(CirclePatch((item.x, item.y), item.r, facecolor=item.color, edgecolor="none",
                                       alpha=item.opacity, zorder=z))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()

"""A `Scene` as SVG text, in plain Python (no renderer needed)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from .layout import Circle, Path, Polygon, Rect, Scene, Text

FONT_FAMILY = "DejaVu Sans Mono, Menlo, Consolas, monospace"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _opacity(value: float) -> str:
    return f' opacity="{_n(value)}"' if value < 1.0 else ""


def to_svg(scene: Scene) -> bytes:
    """The SVG document of `scene`."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(scene.width)}" height="{_n(scene.height)}" '
        f'viewBox="0 0 {_n(scene.width)} {_n(scene.height)}" font-family="{FONT_FAMILY}">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for item in scene.items:
        if isinstance(item, Rect):
            out.append(
                f'<rect x="{_n(item.x)}" y="{_n(item.y)}" width="{_n(item.w)}" height="{_n(item.h)}" rx="{_n(item.radius)}" '
                f'fill="{item.fill}" stroke="{item.stroke}" stroke-width="{_n(item.width)}"{_opacity(item.opacity)}/>'
            )
        elif isinstance(item, Text):
            style = (' font-weight="bold"' if item.bold else "") + (' font-style="italic"' if item.italic else "")
            anchor = f' text-anchor="{item.anchor}"' if item.anchor != "start" else ""
            out.append(
                f'<text x="{_n(item.x)}" y="{_n(item.y)}" font-size="{_n(item.size)}" fill="{item.color}"'
                f'{style}{anchor}{_opacity(item.opacity)} xml:space="preserve">{escape(item.text)}</text>'
            )
        elif isinstance(item, Path):
            data = " ".join(segment[0] + " ".join(_n(v) for v in segment[1:]) for segment in item.segments)
            dash = ' stroke-dasharray="5 3"' if item.dashed else ""
            out.append(
                f'<path d="{data}" fill="none" stroke="{item.color}" stroke-width="{_n(item.width)}"{dash}{_opacity(item.opacity)}/>'
            )
        elif isinstance(item, Polygon):
            points = " ".join(f"{_n(x)},{_n(y)}" for x, y in item.points)
            out.append(f'<polygon points="{points}" fill="{item.color}"{_opacity(item.opacity)}/>')
        elif isinstance(item, Circle):
            out.append(f'<circle cx="{_n(item.x)}" cy="{_n(item.y)}" r="{_n(item.r)}" fill="{item.color}"{_opacity(item.opacity)}/>')
    out.append("</svg>\n")
    return "\n".join(out).encode("utf-8")

"""Where everything of a `Graph` goes: a layered layout of our own, as a `Scene` of boxes,
lines and text in pixels that the SVG and PNG writers draw alike.

Each module is a column of rows. A layer's row is one below the lowest of the layers it reads
(a variable sits just above its first reader); its aggregate and post_process stack above and
below it. An edge between neighbouring rows is a curve from box to box; a longer one (a skip
connection) leaves its source to the right, runs down a lane on the right of the module, and
enters its target from the right; the edges into one target of one kind share a lane, a bus
that a dot joins at each source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .graph import AGGREGATE, CANDIDATE, FLOW, LAYER, POST_PROCESS, VARIABLE, Edge, Graph, Node

FONT = 12.0  # px, monospace
CHAR = FONT * 0.6021  # DejaVu Sans Mono's advance
LINE = 17.0
PAD_X, PAD_Y = 9.0, 6.0
ROW_GAP, COL_GAP, STACK_GAP = 40.0, 30.0, 16.0
LANE_GAP, CORRIDOR = 12.0, 18.0
MARGIN, MODULE_GAP = 20.0, 40.0
ARROW = 6.0
WRAP = 1500.0  # modules go on a new line past this width

INK, MUTED, FAINT = "#1f2937", "#6b7280", "#9ca3af"
BLUE = "#2563eb"
STYLE = {  # kind: (fill, stroke)
    VARIABLE: ("#f3f4f6", "#6b7280"),
    LAYER: ("#eef2ff", "#4f46e5"),
    AGGREGATE: ("#fef3c7", "#d97706"),
    POST_PROCESS: ("#dcfce7", "#16a34a"),
}
CHOSEN_FILL = "#c7d2fe"


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str = "none"
    radius: float = 0.0
    opacity: float = 1.0
    width: float = 1.2


@dataclass
class Text:
    x: float
    y: float  # the baseline
    text: str
    color: str = INK
    bold: bool = False
    italic: bool = False
    size: float = FONT
    anchor: str = "start"  # or "middle"
    opacity: float = 1.0


@dataclass
class Path:
    """Segments: ("M", x, y), ("L", x, y) or ("C", x1, y1, x2, y2, x, y)."""

    segments: list[tuple]
    color: str
    width: float
    dashed: bool = False
    opacity: float = 1.0


@dataclass
class Polygon:
    points: list[tuple[float, float]]
    color: str
    opacity: float = 1.0


@dataclass
class Circle:
    x: float
    y: float
    r: float
    color: str
    opacity: float = 1.0


Item = Union[Rect, Text, Path, Polygon, Circle]


@dataclass
class Scene:
    """What to draw, in order, on a `width` × `height` canvas (pixels at 1×)."""

    width: float
    height: float
    items: list[Item] = field(default_factory=list)


@dataclass
class _Box:
    node: Node
    rows: list[list[tuple[str, str]]]  # each row's pieces (text, role): header, op, chosen, unchosen, note, plain
    w: float
    h: float
    x: float = 0.0
    y: float = 0.0


SEPARATOR = "  "
OPS_WIDTH = 30  # characters: a layer's ops wrap past this


def _rows(node: Node) -> list[list[tuple[str, str]]]:
    if node.kind == VARIABLE:
        return [[(node.label, "plain")]]
    if node.kind == AGGREGATE:
        return [[(f"aggregate: {node.label}", "plain")]]
    if node.kind == POST_PROCESS:
        return [[(f"post_process: {node.label}", "plain")]]
    rows: list[list[tuple[str, str]]] = [[(node.label, "header")], []]
    used = 0
    for index, op in enumerate(node.ops):
        role = "op" if node.chosen_op is None else "chosen" if index == node.chosen_op else "unchosen"
        if rows[-1] and used + len(SEPARATOR) + len(op) > OPS_WIDTH:
            rows.append([])
            used = 0
        used += (len(SEPARATOR) if rows[-1] else 0) + len(op)
        rows[-1].append((op, role))
    if node.input_num is not None:
        lo, hi = node.input_num
        count = f"{lo}" if lo == hi else f"{lo}–{hi}"
        rows.append([(f"inputs: {count} of {node.candidates}", "note")])
    return rows


def _box(node: Node) -> _Box:
    rows = _rows(node)
    chars = max(sum(len(text) for text, _ in row) + len(SEPARATOR) * (len(row) - 1) for row in rows)
    return _Box(node, rows, max(chars * CHAR + 2 * PAD_X, 40.0), len(rows) * LINE + 2 * PAD_Y - 2)


@dataclass
class _Unit:
    """What takes one place in a row: a variable, or a layer with its aggregate and post_process."""

    id: str
    boxes: list[_Box]
    rank: int = 0
    order: int = 0

    @property
    def w(self) -> float:
        return max(box.w for box in self.boxes)

    @property
    def h(self) -> float:
        return sum(box.h for box in self.boxes) + STACK_GAP * (len(self.boxes) - 1)

    def place(self, center: float, top: float) -> None:
        y = top
        for box in self.boxes:
            box.x, box.y = center - box.w / 2, y
            y += box.h + STACK_GAP


def layout(graph: Graph, title: str = "") -> Scene:
    """The picture of `graph`: modules side by side, with `title` above and a legend below."""
    scene = Scene(0.0, 0.0)
    top = MARGIN + (26.0 if title else 0.0)
    x, y, line_height, right = MARGIN, top, 0.0, 0.0
    clusters = len(graph.modules) > 1
    for module in graph.modules:
        items, width, height = _module(graph, module, clusters)
        if x > MARGIN and x + width > WRAP:
            x, y, line_height = MARGIN, y + line_height + MODULE_GAP, 0.0
        scene.items.extend(_shifted(item, x, y) for item in items)
        right = max(right, x + width)
        line_height = max(line_height, height)
        x += width + MODULE_GAP
    bottom = y + line_height + 18.0
    legend_width = _legend(scene, MARGIN, bottom, graph.decided, any(not edge.chosen for edge in graph.edges))
    scene.width = max(right, MARGIN + legend_width, MARGIN + len(title) * CHAR * 1.1) + MARGIN
    scene.height = bottom + 18.0 + MARGIN
    if title:
        scene.items.insert(0, Text(MARGIN, MARGIN + 14.0, title, bold=True, size=FONT * 1.1))
    return scene


def _shifted(item: Item, dx: float, dy: float) -> Item:
    if isinstance(item, (Rect, Text, Circle)):
        item.x += dx
        item.y += dy
    elif isinstance(item, Polygon):
        item.points = [(px + dx, py + dy) for px, py in item.points]
    elif isinstance(item, Path):
        item.segments = [(s[0], *[v + (dx if i % 2 == 0 else dy) for i, v in enumerate(s[1:])]) for s in item.segments]
    return item


def _module(graph: Graph, module: str, cluster: bool) -> tuple[list[Item], float, float]:
    """The items of one module at the origin, and their width and height."""
    nodes = [node for node in graph.nodes if node.module == module]
    ids = {node.id for node in nodes}
    edges = [edge for edge in graph.edges if edge.source in ids]
    boxes = {node.id: _box(node) for node in nodes}
    unit_of: dict[str, str] = {}
    units: dict[str, _Unit] = {}
    for node in nodes:
        owner = node.key if node.kind != VARIABLE else node.id
        unit_of[node.id] = owner
        if owner not in units:
            units[owner] = _Unit(owner, [], order=len(units))
    for node in nodes:  # aggregate, layer, post_process from top to bottom
        units[unit_of[node.id]].boxes.append(boxes[node.id])
    for unit in units.values():
        unit.boxes.sort(key=lambda box: (AGGREGATE, LAYER, POST_PROCESS, VARIABLE).index(box.node.kind))
    links = [(unit_of[e.source], unit_of[e.target]) for e in edges if e.kind != FLOW]
    preds: dict[str, list[str]] = {unit: [] for unit in units}
    succs: dict[str, list[str]] = {unit: [] for unit in units}
    for source, target in links:
        preds[target].append(source)
        succs[source].append(target)
    layers = [unit for unit in units.values() if unit.boxes[0].node.kind != VARIABLE]
    for unit in layers:  # in source order: a layer reads only earlier layers
        unit.rank = 1 + max((units[p].rank for p in preds[unit.id] if units[p].boxes[0].node.kind != VARIABLE), default=0)
    for unit in units.values():
        if unit.boxes[0].node.kind == VARIABLE:
            unit.rank = max(min((units[s].rank for s in succs[unit.id]), default=1) - 1, 0)
    rows: dict[int, list[_Unit]] = {}
    for unit in units.values():
        rows.setdefault(unit.rank, []).append(unit)
    centers: dict[str, float] = {}
    y = 0.0
    for rank in sorted(rows):
        row = rows[rank]
        wanted = {u.id: _mean([centers[p] for p in preds[u.id] if p in centers]) for u in row}
        if all(wanted[u.id] is not None for u in row):  # under their inputs; else in source order
            row.sort(key=lambda u: (wanted[u.id], u.order))
        else:
            row.sort(key=lambda u: u.order)
        cursor: float | None = None  # where the row's next unit may start
        for unit in row:  # under its inputs, else right of the previous unit
            bounds = [v for v in (wanted[unit.id], None if cursor is None else cursor + unit.w / 2) if v is not None]
            centers[unit.id] = max(bounds) if bounds else unit.w / 2
            cursor = centers[unit.id] + unit.w / 2 + COL_GAP
        drift = _mean([wanted[u.id] - centers[u.id] for u in row if wanted[u.id] is not None])
        if drift:
            for unit in row:
                centers[unit.id] += drift
        height = max(unit.h for unit in row)
        for unit in row:
            unit.place(centers[unit.id], y + (height - unit.h) / 2)
        y += height + ROW_GAP
    left = min(box.x for box in boxes.values())
    head = 24.0 if cluster else 0.0
    for box in boxes.values():
        box.x += PAD_X - left + (8.0 if cluster else 0.0)
        box.y += head + (8.0 if cluster else 0.0)
    items: list[Item] = []
    corridor = max(box.x + box.w for box in boxes.values()) + CORRIDOR
    lanes = _edges(items, edges, boxes, units, unit_of, corridor, graph.decided)
    width = corridor + lanes * LANE_GAP + (8.0 if cluster else 0.0)
    height = max(box.y + box.h for box in boxes.values()) + (8.0 if cluster else 0.0)
    shapes: list[Item] = []
    if cluster:
        shapes.append(Rect(0.0, 0.0, width, height, "#fafafa", "#d1d5db", radius=6.0, width=1.0))
        shapes.append(Text(8.0, 17.0, module, color=MUTED, bold=True))
    for box in boxes.values():
        shapes.extend(_draw_box(box, graph.decided))
    return shapes + items, width, height


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _draw_box(box: _Box, decided: bool) -> list[Item]:
    node = box.node
    fill, stroke = STYLE[node.kind]
    opacity = 1.0 if node.chosen else 0.35
    shapes: list[Item] = [Rect(box.x, box.y, box.w, box.h, fill, stroke, 8.0 if node.kind == VARIABLE else 4.0, opacity)]
    for index, row in enumerate(box.rows):
        base = box.y + PAD_Y + index * LINE + FONT
        x = box.x + PAD_X
        for text, role in row:
            if role == "chosen":
                shapes.append(Rect(x - 3, base - FONT + 0.5, len(text) * CHAR + 6, LINE - 1, CHOSEN_FILL, radius=3.0,
                                   opacity=opacity))
            color = {"unchosen": FAINT, "note": MUTED, "chosen": BLUE if decided else INK}.get(role, INK)
            shapes.append(Text(x, base, text, color, bold=role in ("header", "chosen"), italic=role == "note",
                               opacity=opacity))
            x += (len(text) + len(SEPARATOR)) * CHAR
        if row[0][1] == "header" and len(box.rows) > 1:
            line_y = base + 5.0
            shapes.append(Path([("M", box.x, line_y), ("L", box.x + box.w, line_y)], stroke, 0.8, opacity=opacity))
    return shapes


def _edge_style(edge: Edge, decided: bool) -> tuple[str, float, float]:
    """(color, width, opacity)"""
    if not edge.chosen:
        return FAINT, 1.1, 0.55
    if edge.kind == CANDIDATE:
        return (BLUE, 1.8, 1.0) if decided else ("#4b5563", 1.3, 1.0)
    return INK, 1.4 if not decided else 1.6, 1.0


def _arrow(x: float, y: float, dx: float, dy: float, color: str, opacity: float) -> Polygon:
    """A head at (x, y) pointing along (dx, dy), a unit vector."""
    px, py = -dy, dx
    back_x, back_y = x - dx * ARROW * 1.4, y - dy * ARROW * 1.4
    return Polygon([(x, y), (back_x + px * ARROW / 2, back_y + py * ARROW / 2), (back_x - px * ARROW / 2, back_y - py * ARROW / 2)],
                   color, opacity)


def _edges(items: list[Item], edges: list[Edge], boxes: dict[str, _Box], units: dict[str, _Unit], unit_of: dict[str, str],
           corridor: float, decided: bool) -> int:
    """Add every edge's drawing to `items`; return how many lanes the long ones took."""
    short: list[Edge] = []
    buses: dict[tuple[str, str], list[Edge]] = {}
    for edge in edges:
        span = units[unit_of[edge.target]].rank - units[unit_of[edge.source]].rank
        if edge.kind == FLOW or span <= 1:
            short.append(edge)
        else:
            buses.setdefault((edge.target, edge.kind), []).append(edge)
    outgoing: dict[str, list[Edge]] = {}
    incoming: dict[str, list[Edge]] = {}
    for edge in short:
        outgoing.setdefault(edge.source, []).append(edge)
        incoming.setdefault(edge.target, []).append(edge)
    for group in (outgoing, incoming):
        for node_id, group_edges in group.items():
            group_edges.sort(key=lambda e: boxes[e.target if group is outgoing else e.source].x)
    drawn: list[tuple[bool, list[Item]]] = []
    for edge in short:
        source, target = boxes[edge.source], boxes[edge.target]
        sx = _port(source, outgoing[edge.source].index(edge), len(outgoing[edge.source]))
        tx = _port(target, incoming[edge.target].index(edge), len(incoming[edge.target]))
        sy, ty = source.y + source.h, target.y
        color, width, opacity = _edge_style(edge, decided)
        bend = max((ty - sy) / 2, 8.0)
        path = Path([("M", sx, sy), ("C", sx, sy + bend, tx, ty - bend, tx, ty - ARROW)], color, width,
                    edge.kind == CANDIDATE, opacity)
        drawn.append((edge.chosen, [path, _arrow(tx, ty, 0.0, 1.0, color, opacity)]))
    lanes: list[list[tuple[int, int]]] = []
    order = sorted(buses.items(), key=lambda item: (
        units[unit_of[item[0][0]]].rank - min(units[unit_of[e.source]].rank for e in item[1]), units[unit_of[item[0][0]]].rank))
    entries: dict[str, int] = {}
    for (target_id, kind), bus in order:
        span = (min(units[unit_of[e.source]].rank for e in bus), units[unit_of[target_id]].rank)
        lane = next((i for i, taken in enumerate(lanes) if all(span[1] < a or b < span[0] for a, b in taken)), len(lanes))
        if lane == len(lanes):
            lanes.append([])
        lanes[lane].append(span)
        lane_x = corridor + lane * LANE_GAP
        target = boxes[target_id]
        entries[target_id] = entries.get(target_id, 0) + 1
        ty = target.y + min(10.0 * entries[target_id], target.h - 4.0)
        dashed = kind == CANDIDATE
        for edge in bus:  # each source's stub and its dot
            source = boxes[edge.source]
            sy = source.y + source.h / 2
            color, width, opacity = _edge_style(edge, decided)
            stub = Path([("M", source.x + source.w, sy), ("L", lane_x, sy)], color, width, dashed, opacity)
            drawn.append((edge.chosen, [stub, Circle(lane_x, sy, 2.6, color, opacity)]))
        for chosen in (False, True):  # the lane: from its highest source (chosen: highest chosen one) to the target
            tops = [boxes[e.source].y + boxes[e.source].h / 2 for e in bus if e.chosen == chosen]
            if not tops:
                continue
            color, width, opacity = _edge_style(next(e for e in bus if e.chosen == chosen), decided)
            lane = Path([("M", lane_x, min(tops)), ("L", lane_x, ty), ("L", target.x + target.w + ARROW, ty)],
                        color, width, dashed, opacity)
            drawn.append((chosen, [lane, _arrow(target.x + target.w, ty, -1.0, 0.0, color, opacity)]))
    for _, shapes in sorted(drawn, key=lambda pair: pair[0]):  # the chosen on top
        items.extend(shapes)
    return len(lanes)


def _port(box: _Box, index: int, count: int) -> float:
    """The x where the index-th of `count` edges meets the box's top or bottom."""
    if count == 1:
        return box.x + box.w / 2
    spread = min(box.w * 0.6, 18.0 * (count - 1))
    return box.x + box.w / 2 - spread / 2 + spread * index / (count - 1)


def _legend(scene: Scene, x: float, y: float, decided: bool, unchosen: bool) -> float:
    """Samples of the edges' styles in a row at (x, y); return its width."""
    samples = [("fixed input", INK, False, 1.0), ("input candidate", "#4b5563", True, 1.0)]
    if decided:
        samples = [("fixed input", INK, False, 1.0), ("chosen input", BLUE, True, 1.0)]
    if unchosen:
        samples.append(("input not chosen", FAINT, True, 0.55))
    start = x
    for label, color, dashed, opacity in samples:
        scene.items.append(Path([("M", x, y - 4), ("L", x + 28, y - 4)], color, 1.6, dashed, opacity))
        scene.items.append(Text(x + 34, y, label, MUTED))
        x += 34 + len(label) * CHAR + 24
    return x - start

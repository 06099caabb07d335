"""A `Graph` as Graphviz's DOT language, for `dot -Tsvg` and the tools that read it."""

from __future__ import annotations

from html import escape

from .graph import AGGREGATE, CANDIDATE, LAYER, POST_PROCESS, VARIABLE, Graph, Node
from .layout import BLUE, CHOSEN_FILL, FAINT, INK, MUTED, STYLE


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(node: Node) -> str:
    """An HTML-like label: a layer's output above its ops, the chosen one marked."""
    if node.kind != LAYER:
        prefix = {VARIABLE: "", AGGREGATE: "aggregate: ", POST_PROCESS: "post_process: "}[node.kind]
        return f"<{escape(prefix + node.label)}>"
    rows = [f'<tr><td align="left"><b>{escape(node.label)}</b></td></tr>']
    for index, op in enumerate(node.ops):
        if node.chosen_op is None:
            rows.append(f'<tr><td align="left">{escape(op)}</td></tr>')
        elif index == node.chosen_op:
            rows.append(f'<tr><td align="left" bgcolor="{CHOSEN_FILL}"><font color="{BLUE}"><b>▸ {escape(op)}</b></font></td></tr>')
        else:
            rows.append(f'<tr><td align="left"><font color="{FAINT}">{escape(op)}</font></td></tr>')
    if node.input_num is not None:
        lo, hi = node.input_num
        count = f"{lo}" if lo == hi else f"{lo}–{hi}"
        rows.append(f'<tr><td align="left"><font color="{MUTED}"><i>inputs: {count} of {node.candidates}</i></font></td></tr>')
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="2">{"".join(rows)}</table>>'


def to_dot(graph: Graph, title: str = "") -> bytes:
    """The DOT text of `graph`: one cluster per module when there are several."""
    lines = ["digraph space {", '  rankdir=TB; fontname="DejaVu Sans Mono";',
             '  node [fontname="DejaVu Sans Mono", fontsize=11, shape=box, style="rounded,filled"];',
             '  edge [arrowsize=0.7];']
    if title:
        lines.append(f"  label={_quote(title)}; labelloc=t;")
    clusters = len(graph.modules) > 1
    for number, module in enumerate(graph.modules):
        indent = "    " if clusters else "  "
        if clusters:
            lines.append(f"  subgraph cluster_{number} {{")
            lines.append(f'    label={_quote(module)}; style="rounded"; color="#d1d5db";')
        for node in graph.nodes:
            if node.module != module:
                continue
            fill, stroke = STYLE[node.kind]
            faded = "" if node.chosen else ' fontcolor="#9ca3af"'
            lines.append(f'{indent}{_quote(node.id)} [label={_label(node)}, fillcolor="{fill}", color="{stroke}"{faded}];')
        if clusters:
            lines.append("  }")
    for edge in graph.edges:
        attributes = []
        if edge.kind == CANDIDATE:
            attributes.append("style=dashed")
        color = FAINT if not edge.chosen else BLUE if graph.decided and edge.kind == CANDIDATE else INK
        attributes.append(f'color="{color}"')
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)} [{', '.join(attributes)}];")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")

"""Pictures of search spaces and architectures: `nas-annotate draw`.

`space_graph` (graph.py) turns the compiler's analyses into a graph, as data; `layout.py`
places it; `svg.py` writes SVG in plain Python, `png.py` draws the same picture with matplotlib,
and `dot.py` writes the graph for Graphviz. Nothing here is imported by the compiler's commands.
"""

from __future__ import annotations

from typing import Iterable

from ..choice import ChoiceDocument, Decision, load_choice, resolve
from ..diagnostics import CompileError
from ..pipeline import Analysis
from .graph import Edge, Graph, Node, only_chosen, space_graph

FORMATS = ("svg", "png", "dot")

__all__ = ["FORMATS", "Edge", "Graph", "Node", "decisions_of", "draw", "graph_of", "only_chosen", "render", "space_graph"]


def decisions_of(analyses: list[Analysis], choice: ChoiceDocument | str) -> dict[str, Decision]:
    """Each layer's decision under `choice` (hyperparameters' entries are not needed); every
    problem of the document at once, as for `expand`."""
    document = load_choice(choice) if isinstance(choice, str) else choice
    decisions: dict[str, Decision] = {}
    problems = []
    for analysis in analyses:
        params = {key for param in analysis.params for key in (param.key, param.alias)}
        layers_only = document._replace(data={k: v for k, v in document.data.items() if k not in params})
        try:
            found = resolve(layers_only, analysis.module, analysis.layers)
        except CompileError as exc:
            problems.extend(exc.diagnostics)
            continue
        decisions.update((key, value) for key, value in found.items() if isinstance(value, Decision))
    if problems:
        raise CompileError(problems)
    return decisions


def graph_of(paths: Iterable[str], choice: ChoiceDocument | str | None = None, only: bool = False) -> Graph:
    """The graph of the layers under `paths`, for `choice` when given (`only`: the chosen
    architecture alone). Raises CompileError for bad annotations, a bad choice, or no layer."""
    from ..api import analyse_paths
    from ..diagnostics import Diagnostic

    paths = list(paths)
    analyses, diagnostics = analyse_paths(paths)
    if diagnostics:
        raise CompileError(diagnostics)
    if not any(analysis.layers for analysis in analyses):
        raise CompileError([Diagnostic(", ".join(paths), 0, 0, "nothing to draw: no mutable layer annotation")])
    decisions = decisions_of(analyses, choice) if choice is not None else None
    graph = space_graph(analyses, decisions)
    return only_chosen(graph) if only else graph


def render(graph: Graph, fmt: str, title: str = "") -> bytes:
    """`graph` as an `fmt` file (svg, png or dot)."""
    if fmt == "dot":
        from .dot import to_dot

        return to_dot(graph, title)
    from .layout import layout

    scene = layout(graph, title)
    if fmt == "png":
        from .png import to_png

        return to_png(scene)
    from .svg import to_svg

    return to_svg(scene)


def draw(paths: Iterable[str], fmt: str = "svg", choice: ChoiceDocument | str | None = None, only: bool = False,
         title: str = "") -> bytes:
    """The picture of the space (or of `choice`) of the files under `paths`, as `fmt`."""
    return render(graph_of(paths, choice, only), fmt, title)

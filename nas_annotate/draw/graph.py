"""The search space as a graph, as data: what `nas-annotate draw` pictures and tests check.

Nodes are the layers (each with its candidate ops), the variables the annotations read,
and each layer's `input_aggregate` and `post_process`. Edges run from what a layer reads to
the layer (or to its aggregate): fixed inputs, and input candidates. Names are resolved
within one module and scope: an input named like an earlier layer's output in the same
function comes from that layer; any other input is a variable.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterable

from ..choice import Decision
from ..model import MutableLayer
from ..pipeline import Analysis

VARIABLE, LAYER, AGGREGATE, POST_PROCESS = "variable", "layer", "aggregate", "post_process"
FIXED, CANDIDATE, FLOW = "fixed", "candidate", "flow"


@dataclass(frozen=True)
class Node:
    """A box of the picture. `kind` is one of VARIABLE, LAYER, AGGREGATE, POST_PROCESS.

    A layer has its candidate `ops`, the `chosen_op` of a choice (None without one) and its
    `input_num` (None without input candidates). `chosen` is False for a node the choice
    leaves unused (a variable only unchosen candidates read), drawn faded."""

    id: str
    kind: str
    label: str
    module: str
    key: str | None = None
    ops: tuple[str, ...] = ()
    chosen_op: int | None = None
    input_num: tuple[int, int] | None = None
    candidates: int = 0
    chosen: bool = True


@dataclass(frozen=True)
class Edge:
    """An arrow: `kind` FIXED (solid), CANDIDATE (dashed) or FLOW (aggregate → layer →
    post_process). `chosen` is False for an input candidate the choice leaves out."""

    source: str
    target: str
    kind: str
    chosen: bool = True


@dataclass
class Graph:
    """Nodes in source order, module by module; `decided` when drawn for a choice."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    decided: bool = False

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.id == node_id)

    def producer(self, layer_key: str) -> str:
        """The node whose value is the layer's output: its post_process, else the layer."""
        post = f"{layer_key}#{POST_PROCESS}"
        return post if any(node.id == post for node in self.nodes) else layer_key


def space_graph(analyses: Iterable[Analysis], decisions: dict[str, Decision] | None = None) -> Graph:
    """The graph of the layers of `analyses`; with `decisions` (layer key → Decision), what the
    choice picks is marked chosen and the rest not."""
    graph = Graph(decided=decisions is not None)
    for analysis in analyses:
        if not analysis.layers:
            continue
        module = analysis.module  # two files of one module name (a.py and b/a.py) are told apart by path
        module = module if module not in graph.modules else f"{module} ({analysis.source.path})"
        graph.modules.append(module)
        outputs: dict[tuple[str, str], str] = {}  # (scope, output label) -> the latest layer producing it
        variables: dict[tuple[str, str], str] = {}
        for annotation in analysis.annotations:
            for layer in annotation.layers:
                decision = decisions.get(layer.key) if decisions is not None else None
                _add_layer(graph, module, annotation.scope, layer, decision, outputs, variables)
                outputs[(annotation.scope, layer.layer_output.label)] = graph.producer(layer.key)
    if decisions is not None:
        used = {edge.source for edge in graph.edges if edge.chosen}
        graph.nodes = [
            dataclasses.replace(node, chosen=node.id in used) if node.kind == VARIABLE else node for node in graph.nodes
        ]
    return graph


def _add_layer(
    graph: Graph, module: str, scope: str, layer: MutableLayer, decision: Decision | None,
    outputs: dict[tuple[str, str], str], variables: dict[tuple[str, str], str],
) -> None:
    def source(label: str) -> str:
        found = outputs.get((scope, label))
        if found is not None:
            return found
        if (scope, label) not in variables:
            node_id = f"{module}:{scope}:{label}"
            variables[(scope, label)] = node_id
            graph.nodes.append(Node(node_id, VARIABLE, label, module))
        return variables[(scope, label)]

    key = layer.key
    candidates = layer.input_candidates
    fixed = [source(expression.label) for expression in layer.fixed_inputs]  # variables before their reader
    chosen_from = [source(expression.label) for expression in candidates]
    graph.nodes.append(Node(
        key, LAYER, layer.layer_output.label, module, key, tuple(layer.choice_labels),
        decision.layer if decision is not None else None, layer.input_num if candidates else None, len(candidates),
    ))
    entry = key
    if layer.input_aggregate is not None:
        entry = f"{key}#{AGGREGATE}"
        graph.nodes.append(Node(entry, AGGREGATE, layer.input_aggregate.label, module, key))
        graph.edges.append(Edge(entry, key, FLOW))
    graph.edges.extend(Edge(node_id, entry, FIXED) for node_id in fixed)
    for index, node_id in enumerate(chosen_from):
        graph.edges.append(Edge(node_id, entry, CANDIDATE, decision is None or index in decision.inputs))
    if layer.post_process is not None:
        post = f"{key}#{POST_PROCESS}"
        graph.nodes.append(Node(post, POST_PROCESS, layer.post_process.label, module, key))
        graph.edges.append(Edge(key, post, FLOW))


def only_chosen(graph: Graph) -> Graph:
    """The chosen architecture alone: each layer with its chosen op, the chosen inputs, and
    the variables they read."""
    edges = [edge for edge in graph.edges if edge.chosen]
    used = {edge.source for edge in edges} | {edge.target for edge in edges}
    nodes = []
    for node in graph.nodes:
        if node.kind == VARIABLE and node.id not in used:
            continue
        if node.kind == LAYER and node.chosen_op is not None:
            node = dataclasses.replace(node, ops=(node.ops[node.chosen_op],), chosen_op=0)
        nodes.append(node)
    return Graph(nodes, edges, list(graph.modules), graph.decided)

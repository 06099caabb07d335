"""Both generated forms against an oracle of SPEC §4, on randomly generated layers and choices.

The oracle evaluates a layer directly from its description: which expressions run, in which
order, and which calls are made with which arguments. The chosen form (`expand --choice`) and
the run-time form (`expand` without a choice, deciding through `nas_annotate.runtime`) must
both produce exactly the oracle's event log and result.
"""

from __future__ import annotations

import random
import json
from dataclasses import dataclass, field

import pytest

from nas_annotate import runtime
from nas_annotate.api import expand


@dataclass
class Expr:
    """An expression in an annotation: a pure name (`v3`) or an impure call (`tap('e3', v3)`)."""

    name: str
    pure: bool

    @property
    def text(self) -> str:
        return self.name if self.pure else f"tap({self.name!r}, {self.name})"


@dataclass
class CallSpec:
    callee: str
    args: list[Expr] = field(default_factory=list)
    kwargs: dict[str, Expr] = field(default_factory=dict)
    bare: bool = False

    @property
    def text(self) -> str:
        if self.bare:
            return self.callee
        parts = [a.text for a in self.args] + [f"{k}={v.text}" for k, v in self.kwargs.items()]
        return f"{self.callee}({', '.join(parts)})"

    def values(self) -> list[Expr]:
        return self.args + list(self.kwargs.values())


@dataclass
class Layer:
    candidates: list[CallSpec]
    fixed: list[Expr]
    inputs: list[Expr]
    num: tuple[int, int]
    aggregate: CallSpec | None
    post: CallSpec | None
    order: list[str]


def _expr(rng: random.Random, counter: list[int]) -> Expr:
    counter[0] += 1
    return Expr(f"v{counter[0]}", rng.random() < 0.6)


def _call(rng: random.Random, counter: list[int], callee: str) -> CallSpec:
    args = [_expr(rng, counter) for _ in range(rng.randint(0, 2))]
    kwargs = {f"k{i}": _expr(rng, counter) for i in range(rng.randint(0, 2))}
    return CallSpec(callee, args, kwargs, bare=not args and not kwargs and rng.random() < 0.5)


def _layer(rng: random.Random) -> Layer:
    counter = [0]
    candidates = [_call(rng, counter, f"op{i}") for i in range(rng.randint(1, 4))]
    fixed = [_expr(rng, counter) for _ in range(rng.randint(0, 2))]
    inputs = [_expr(rng, counter) for _ in range(rng.randint(0, 4))]
    lo = rng.randint(0, len(inputs))
    hi = rng.randint(lo, len(inputs))
    aggregate = _call(rng, counter, "agg") if rng.random() < 0.4 else None
    post = _call(rng, counter, "post") if rng.random() < 0.4 else None
    order = ["layer_choice", "fixed_inputs", "input_candidates", "input_num", "input_aggregate", "post_process", "layer_output"]
    rng.shuffle(order)
    return Layer(candidates, fixed, inputs, (lo, hi), aggregate, post, order)


def _annotation(layer: Layer) -> str:
    values = {
        "layer_choice": "[" + ", ".join(c.text for c in layer.candidates) + "]",
        "fixed_inputs": "[" + ", ".join(e.text for e in layer.fixed) + "]",
        "input_candidates": "[" + ", ".join(e.text for e in layer.inputs) + "]",
        "input_num": f"[{layer.num[0]}, {layer.num[1]}]",
        "input_aggregate": layer.aggregate.text if layer.aggregate else None,
        "post_process": layer.post.text if layer.post else None,
        "layer_output": "result",
    }
    if not layer.inputs:
        values["input_candidates"] = values["input_num"] = None
    fields = [f"    {name}: {values[name]}" for name in layer.order if values[name] is not None]
    return '"""@nni.mutable_layer\n{\n' + "\n".join(fields) + '\n}"""\n'


def _oracle(layer: Layer, choice: int, chosen: list[int]) -> tuple[list, object]:
    """SPEC §4 by hand: the impure expressions that are evaluated, in source order, then the calls."""
    log: list = []
    by_field = {
        "layer_choice": layer.candidates[choice].values(),
        "fixed_inputs": layer.fixed,
        "input_candidates": [layer.inputs[i] for i in sorted(set(chosen))],
        "input_aggregate": layer.aggregate.values() if layer.aggregate else [],
        "post_process": layer.post.values() if layer.post else [],
    }
    for name in layer.order:
        for expr in by_field.get(name, []):
            if not expr.pure:
                log.append(("eval", expr.name))

    def value(expr: Expr) -> str:
        return expr.name

    def call(spec: CallSpec, first: object) -> object:
        args = [value(a) for a in spec.args]
        kwargs = {k: value(v) for k, v in spec.kwargs.items()}
        log.append((spec.callee, first, tuple(args), tuple(sorted(kwargs.items()))))
        return (spec.callee, first)

    c = [value(layer.inputs[i]) for i in chosen]
    inputs: object = [[value(e) for e in layer.fixed], c]
    if layer.aggregate:
        inputs = call(layer.aggregate, inputs)
    out = call(layer.candidates[choice], inputs)
    if layer.post:
        out = call(layer.post, [out, list(c)])
    return log, out


def _namespace(log: list) -> dict:
    def tap(name: str, value: object) -> object:
        log.append(("eval", name))
        return value

    def op(callee: str):
        def apply(first, *args, **kwargs):
            log.append((callee, first, args, tuple(sorted(kwargs.items()))))
            return (callee, first)

        return apply

    names = {f"v{i}": f"v{i}" for i in range(1, 40)}
    names.update({f"op{i}": op(f"op{i}") for i in range(4)})
    names.update(agg=op("agg"), post=op("post"), tap=tap)
    return names


def _run(code: bytes) -> tuple[list, object]:
    log: list = []
    namespace = _namespace(log)
    exec(compile(code, "layer_case.py", "exec"), namespace)
    return log, namespace["result"]


CASES = 120


@pytest.mark.parametrize("seed", range(CASES))
def test_both_forms_match_the_oracle(tmp_path, seed):
    rng = random.Random(seed)
    layer = _layer(rng)
    path = tmp_path / "layer_case.py"
    path.write_text("# generated\n" + _annotation(layer) + "done = True\n")
    runtime_form = expand(str(path), None)
    for _ in range(3):
        choice = rng.randrange(len(layer.candidates))
        count = rng.randint(*layer.num)
        chosen = rng.sample(range(len(layer.inputs)), count)
        document = {"layer_case/result": {"layer": choice, "inputs": chosen}}
        expected = _oracle(layer, choice, chosen)
        chosen_form = expand(str(path), json.dumps(document))
        assert _run(chosen_form) == expected
        runtime.set_choice(document)
        try:
            assert _run(runtime_form) == expected
        finally:
            runtime.reset()

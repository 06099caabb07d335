"""`nas-annotate freeze` (docs/cli.md, "freeze"): annotated source → frozen source, one rule per
case, as a table. Each frozen output is also checked to compile and to hold no annotation
(`check` finds nothing in it). TensorFlow-free: the examples' and fixtures' behaviour is in
test_freeze_behaviour.py."""

from __future__ import annotations

import contextlib
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from nas_annotate.api import analyse_file, check
from nas_annotate.choice import Param, decide_param, quantise
from nas_annotate.freeze import Options, freeze


@dataclass
class Case:
    name: str
    source: str
    choice: dict
    expected: str
    options: Options = field(default_factory=Options)


def _(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CASES = [
    # --- where the file's lines cannot be told from `ast` alone, libcst prints all ----------
    Case(
        "layout: a decorator whose expression starts below its @",
        _('''
            @(
                deco
            )
            def f():
                """@nni.mutable_layer {layer_choice: [a, b], layer_output: out}"""
                return out


            class C:  # c
                """@nni.mutable_layer {layer_choice: [a, b], layer_output: out}"""
                x = 1
        '''),
        {"m/f.out": {"layer": 1}, "m/C.out": {"layer": 0}},
        _('''
            @(
                deco
            )
            def f():
                out = b([[], []])
                return out


            class C:  # c
                out = a([[], []])
                x = 1
        '''),
    ),
    Case(
        "layout: a statement continued onto a blank line",
        'x = 1 \\\n\n"""@nni.mutable_layer {layer_choice: [a, b], layer_output: out}"""\ny = 2\n',
        {"m/out": {"layer": 1}},
        "x = 1 \\\n\nout = b([[], []])\ny = 2\n",
    ),
    Case(
        "layout: untouched code beside edited headers and blocks stays as written (libcst parses it hollowed)",
        _('''
            def f(total):
                """@nni.function_choice(range(2), range(3), name=steps)"""
                for i in range(2):
                    total = [
                        i,
                    ]  # kept as written
                else:
                    done = 1;  more = 2
                    if done: more = (
                        3)
                while total:
                    """@nni.mutable_layer {layer_choice: [a, b], layer_output: out}"""
                    x = {
                      'k': 1}
                else:
                    y = x   # y
                return total
        '''),
        {"m/f.steps": 1, "m/f.out": {"layer": 1}},
        _('''
            def f(total):
                for i in range(3):
                    total = [
                        i,
                    ]  # kept as written
                else:
                    done = 1;  more = 2
                    if done: more = (
                        3)
                while total:
                    out = b([[], []])
                    x = {
                      'k': 1}
                else:
                    y = x   # y
                return total
        '''),
    ),
    Case(
        "layout: Windows line endings in multi-line statements around the edit",
        'x = (1,\r\n     2)  # c\r\n"""@nni.mutable_layer {layer_choice: [a, b], layer_output: out}"""\r\ny = """\r\ntext\r\n"""\r\n',
        {"m/out": {"layer": 0}},
        'x = (1,\r\n     2)  # c\r\nout = a([[], []])\r\ny = """\r\ntext\r\n"""\r\n',
    ),
    # --- layers: the chosen statement, laid out like the code around it ---------------------
    Case(
        "layer: the chosen candidate on the annotation's place, no padding",
        _('''
            out3 = "out3"
            """@nni.mutable_layer
            {
                layer_choice: [conv(ch=128), conv(ch=256), pool],
                input_candidates: [out3],
                input_num: 1,
                layer_output: layer_out
            }"""
            print(layer_out)
        '''),
        {"m/layer_out": {"layer": "conv(ch=256)", "inputs": ["out3"]}},
        _('''
            out3 = "out3"
            layer_out = conv([[], [out3]], ch=256)
            print(layer_out)
        '''),
    ),
    Case(
        "layer: input_aggregate and post_process nest, each expression once and in order",
        _('''
            def build(stem, cell1):
                """@nni.mutable_layer
                {
                    layer_choice: [conv(kernel=3), sep_conv(kernel=3)],
                    fixed_inputs: [cell1],
                    input_candidates: [stem],
                    input_num: [0, 1],
                    input_aggregate: add,
                    post_process: bn_relu,
                    layer_output: cell2
                }"""
                return cell2
        '''),
        {"m/build.cell2": {"layer": 1, "inputs": ["stem"]}},
        _('''
            def build(stem, cell1):
                cell2 = bn_relu([sep_conv(add([[cell1], [stem]]), kernel=3), [stem]])
                return cell2
        '''),
    ),
    Case(
        "layer: calls evaluated in the annotation's order need no temporary",
        _('''
            """@nni.mutable_layer
            {
                fixed_inputs: [prev()],
                layer_choice: [conv(ch=width()), pool],
                layer_output: out
            }"""
        '''),
        {"m/out": {"layer": 0}},
        "out = conv([[prev()], []], ch=width())\n",
    ),
    Case(
        "layer: a call nesting would evaluate out of order is bound first (then deleted)",
        _('''
            """@nni.mutable_layer
            {
                layer_choice: [conv(ch=width()), pool],
                fixed_inputs: [prev()],
                layer_output: out
            }"""
        '''),
        {"m/out": {"layer": 0}},
        _('''
            _t0 = width()
            out = conv([[prev()], []], ch=_t0)
            del _t0
        '''),
    ),
    Case(
        "layer: an input post_process reads again is bound once; a name is not",
        _('''
            """@nni.mutable_layer
            {
                layer_choice: [conv],
                input_candidates: [a, tap(b)],
                input_num: [1, 2],
                post_process: post,
                layer_output: out
            }"""
            """@nni.mutable_layer
            {layer_choice: [conv], input_candidates: [a, tap(b)], input_num: 1, post_process: post, layer_output: out2}"""
        '''),
        {"m/out": {"layer": 0, "inputs": [1, 0]}, "m/out2": {"layer": 0, "inputs": [0]}},
        _('''
            _t0 = tap(b)
            out = post([conv([[], [_t0, a]]), [_t0, a]])
            del _t0
            out2 = post([conv([[], [a]]), [a]])
        '''),
    ),
    Case(
        "layer: a temporary's name is one the file does not use",
        _('''
            _t0 = 1
            """@nni.mutable_layer {layer_choice: [conv(ch=w())], fixed_inputs: [p()], layer_output: out}"""
        '''),
        {"m/out": {"layer": 0}},
        _('''
            _t0 = 1
            _t1 = w()
            out = conv([[p()], []], ch=_t1)
            del _t1
        '''),
    ),
    Case(
        "layer: several layers of one annotation, in order, at the block's indentation",
        _('''
            class Net:
                def build(self, x):
                    y = x
                    """@nni.mutable_layers(
                        {layer_choice: [add_one(), add_two()], optional_inputs: [x, y],
                         optional_input_size: 1, layer_output: self.first},
                        {layer_choice: [double], fixed_inputs: [self.first], layer_output: second}
                    )"""
                    return second
        '''),
        {"m/Net.build.self.first": {"layer": 1, "inputs": ["y"]}, "m/Net.build.second": {}},
        _('''
            class Net:
                def build(self, x):
                    y = x
                    self.first = add_two([[], [y]])
                    second = double([[self.first], []])
                    return second
        '''),
    ),
    Case(
        "layer: a comment-block annotation; the comment lines around it stay",
        _('''
            def f(x):
                y = x

                # keep me
                # @nni.mutable_layer
                # {
                #     layer_choice: [conv(ch=16), conv(ch=32)],
                #     fixed_inputs: [y],
                #     layer_output: out
                # }
                # and me
                return out
        '''),
        {"m/f.out": {"layer": 1}},
        _('''
            def f(x):
                y = x

                # keep me
                out = conv([[y], []], ch=32)
                # and me
                return out
        '''),
    ),
    Case(
        "layer: comments inside the annotation stay above it, except notes on lost candidates only",
        _('''
            def f(x):
                """@nni.mutable_layer
                {
                    # layers that keep the width
                    layer_choice: [conv(ch = 16),  # cheap
                                   conv(ch=32)],  # wide
                    fixed_inputs: [x],  # the stem
                    layer_output: out
                }"""  # after the annotation
                return out
        '''),
        {"m/f.out": {"layer": "conv(ch=16)"}},
        _('''
            def f(x):
                # layers that keep the width
                # cheap
                # the stem
                out = conv([[x], []], ch=16)  # after the annotation
                return out
        '''),
    ),
    Case(
        "layer: an annotation sharing its line becomes a statement on that line",
        _('''
            if flag: """@nni.mutable_layer {layer_choice: [conv, pool], fixed_inputs: [x], layer_output: out}"""  # note
            x = 1; """@nni.mutable_layer {layer_choice: [conv], fixed_inputs: [x], layer_output: z}"""
        '''),
        {"m/out": {"layer": 1}, "m/z": {}},
        _('''
            if flag: out = pool([[x], []])  # note
            x = 1; z = conv([[x], []])
        '''),
    ),
    Case(
        "layer: strings take the quotes the annotation writes",
        _('''
            """@nni.mutable_layer {layer_choice: [conv(pad="same"), conv(pad="valid")], layer_output: out}"""
            # @nni.mutable_layer {layer_choice: [conv(pad='same')], layer_output: out2}
        '''),
        {"m/out": {"layer": 1}, "m/out2": {}},
        _('''
            out = conv([[], []], pad="valid")
            out2 = conv([[], []], pad='same')
        '''),
    ),
    Case(
        "layer: line endings (CRLF) and indentation (tabs) are the file's",
        'def f(x):\r\n\t"""@nni.mutable_layer\r\n\t{layer_choice: [a, b], fixed_inputs: [x], layer_output: y}"""\r\n\treturn y\r\n',
        {"m/f.y": {"layer": 1}},
        "def f(x):\r\n\ty = b([[x], []])\r\n\treturn y\r\n",
    ),
    Case(
        "layer: an annotation among a module's first comment lines, or at its end",
        _('''
            # @nni.mutable_layer
            # {layer_choice: [a, b], layer_output: out}
            print(out)

            # @nni.mutable_layer
            # {layer_choice: [a, b], fixed_inputs: [out], layer_output: last}
        '''),
        {"m/out": {"layer": 1}, "m/last": {"layer": 0}},
        _('''
            out = b([[], []])
            print(out)

            last = a([[out], []])
        '''),
    ),
    # --- hyperparameters: the chosen value or call ------------------------------------------
    Case(
        "variable: the chosen option as written, the comment above the annotation kept",
        _('''
            # learning rate
            """@nni.variable(nni.choice(0.1, 0.01, 'tanh'), name=lr)"""
            lr = 0.1  # default
            # @nni.variable(nni.quniform(16, 64, 16), name=width)
            width = max(
                16,
                32)  # at least 16
            """@nni.variable(nni.choice("relu", "tanh"), name=act)"""
            act: str = "relu"
        '''),
        {"m/lr": 1, "m/width": 48, "m/act": "tanh"},
        _('''
            # learning rate
            lr = 0.01  # default
            width = 48.0  # at least 16
            act: str = "tanh"
        '''),
    ),
    Case(
        "function choice: every listed call replaced, in parentheses only where needed",
        _('''
            h = 3
            """@nni.function_choice(g(h), 2 * 3 + 4, (1, 2), lambda x: 1+x, name=op)"""
            y = g(h)
            # @nni.function_choice(g(h), 2 * 3 + 4, (1, 2), 0, name=a)
            out = [g(h), -g(h), f(g(h)), g(h).x]
            # @nni.function_choice(g(h), 2 * 3 + 4, (1, 2), 0, name=b)
            z = 2 * g(h) + g(h).real
            # @nni.function_choice(g(h), 2 * 3 + 4, (1, 2), 0, name=c)
            w = g(h), (g(h))
            print(h)
        '''),
        {"m/op": "lambda x: 1 + x", "m/a": 2, "m/b": 3, "m/c": 1},
        _('''
            h = 3
            y = lambda x: 1+x
            out = [(1, 2), -(1, 2), f((1, 2)), (1, 2).x]
            z = 2 * 0 + (0).real
            w = 2 * 3 + 4, (2 * 3 + 4)
            print(h)
        '''),
    ),
    # --- reports: dropped (or kept with --keep-reports) -------------------------------------
    Case(
        "reports: dropped with their own lines only; blank lines do not pile up",
        _('''
            acc = 0.0

            # the step's value
            """@nni.report_intermediate_result(acc)"""

            for epoch in range(3):
                acc += 0.25
                # @nni.report_intermediate_result(acc)
            # @nni.report_final_result(acc)
            print("done")  # @nni.report_final_result(acc) in a trailing comment is no annotation
            """@nni.get_next_parameter()"""
        '''),
        {},
        _('''
            acc = 0.0

            # the step's value

            for epoch in range(3):
                acc += 0.25
            print("done")  # @nni.report_final_result(acc) in a trailing comment is no annotation
        '''),
    ),
    Case(
        "reports: a value computed by a call is still computed; a block left empty gets pass",
        _('''
            def on_epoch_end(self, logs):
                """@nni.report_intermediate_result(logs["acc"])"""


            def g():
                """@nni.report_final_result(evaluate())"""

                return 2
        '''),
        {},
        _('''
            def on_epoch_end(self, logs):
                pass


            def g():
                evaluate()

                return 2
        '''),
    ),
    Case(
        "reports: --keep-reports calls nas_annotate.reporting, imported after the file's imports",
        _('''
            """A trial."""
            import os

            acc = 0.0
            # @nni.report_intermediate_result(acc)
            """@nni.report_final_result(acc)"""  # the value
        '''),
        {},
        _('''
            """A trial."""
            import os
            import nas_annotate.reporting

            acc = 0.0
            nas_annotate.reporting.intermediate(acc)
            nas_annotate.reporting.final(acc)  # the value
        '''),
        Options(keep_reports=True),
    ),
    # --- pruning: what only lost candidates used ----------------------------------------------
    Case(
        "pruning: functions, imports and constants only lost candidates used, to a fixed point",
        _('''
            """Ops."""
            import os
            import numpy as np
            from helpers import a, b, c

            CHANNELS = 16
            WIDTH = 8


            def single(x):
                return np.sum(x)


            # the pooling op
            def pool(x):
                return single(x) + WIDTH + a


            def conv(x, ch=CHANNELS):
                return x


            """@nni.mutable_layer {layer_choice: [conv, pool, b, os.path], layer_output: out}"""
        '''),
        {"m/out": {"layer": 0}},
        _('''
            """Ops."""
            from helpers import c

            CHANNELS = 16


            def conv(x, ch=CHANNELS):
                return x


            out = conv([[], []])
        '''),
    ),
    Case(
        "pruning: never what defining does more than bind (a call), nor what is exported",
        _('''
            __all__ = ["exported"]
            SIZE = compute()


            @register("x")
            def registered(x):
                return x


            @staticmethod
            def plain_decorated(x):
                return x


            def exported(x):
                return x


            class Op:
                """An op."""
                size = 3

                def __call__(self, x):
                    return fact(x)


            class Loud:
                print("defined")


            def fact(n):
                return 1 if n < 2 else n * fact(n - 1)


            def main(x):
                def local(y):
                    return y
                """@nni.mutable_layer
                {layer_choice: [conv, registered, plain_decorated, exported, Op(), Loud(), local, SIZE],
                 fixed_inputs: [x], layer_output: out}"""
                return out
        '''),
        {"m/main.out": {"layer": 0}},
        _('''
            __all__ = ["exported"]
            SIZE = compute()


            @register("x")
            def registered(x):
                return x


            def exported(x):
                return x


            class Loud:
                print("defined")


            def main(x):
                out = conv([[x], []])
                return out
        '''),
    ),
    Case(
        "pruning: never a name used anywhere else, nor one unused before freezing",
        _('''
            import os


            def conv(x):
                return x


            def pool(x):
                return x


            """@nni.mutable_layer {layer_choice: [conv, pool], layer_output: out}"""
            """@nni.mutable_layer {layer_choice: [pool, conv], layer_output: out2}"""
            extra = pool
        '''),
        {"m/out": {"layer": 0}, "m/out2": {"layer": 1}},
        _('''
            import os


            def conv(x):
                return x


            def pool(x):
                return x


            out = conv([[], []])
            out2 = conv([[], []])
            extra = pool
        '''),
    ),
    Case(
        "pruning: the replaced call's function and the lost options' names go too",
        _('''
            def relu(x):
                return x


            def max_pool(x, k):
                return x


            def avg_pool(x, k):
                return x


            # @nni.variable(nni.choice(relu, 'tanh'), name=act)
            act = relu
            """@nni.function_choice(max_pool(act, 2), avg_pool(act, 2), name=pool)"""
            h = max_pool(act, 2)
        '''),
        {"m/act": "tanh", "m/pool": 1},
        _('''
            def avg_pool(x, k):
                return x


            act = 'tanh'
            h = avg_pool(act, 2)
        '''),
    ),
    Case(
        "pruning: --keep-unused keeps every definition",
        _('''
            def conv(x):
                return x


            def pool(x):
                return x


            """@nni.mutable_layer {layer_choice: [conv, pool], layer_output: out}"""
        '''),
        {"m/out": {"layer": 0}},
        _('''
            def conv(x):
                return x


            def pool(x):
                return x


            out = conv([[], []])
        '''),
        Options(keep_unused=True),
    ),
    Case(
        "pruning: none in a module that reads names dynamically (globals(), eval, ...)",
        _('''
            def conv(x):
                return x


            def pool(x):
                return x


            """@nni.mutable_layer {layer_choice: [conv, pool], layer_output: out}"""
            print(globals()["out"])
        '''),
        {"m/out": {"layer": 0}},
        _('''
            def conv(x):
                return x


            def pool(x):
                return x


            out = conv([[], []])
            print(globals()["out"])
        '''),
    ),
]


def frozen(tmp_path, source: str, choice: dict, options: Options = Options()) -> str:
    path = tmp_path / "m.py"
    path.write_bytes(source.encode())
    return freeze(str(path), json.dumps(choice), options).decode()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_freeze(case, tmp_path):
    out = frozen(tmp_path, case.source, case.choice, case.options)
    assert out == case.expected
    compile(out, "frozen.py", "exec")
    path = tmp_path / "frozen.py"
    path.write_bytes(out.encode())
    assert check([str(path)]) == []
    assert analyse_file(str(path)).annotations == []


def test_a_file_without_annotations_is_returned_as_it_is(tmp_path):
    source = "x = 1  # no annotation here\r\n"
    assert frozen(tmp_path, source, {}) == source


def test_untouched_statements_keep_every_byte(tmp_path):
    body = _('''
        import os  ;  import sys   # spaced oddly
        x = [ 1,
              2 ]  # a comment
        def f( a ):
            return (a  +
                    1)  # inside
    ''')
    layer = '"""@nni.mutable_layer {layer_choice: [os.path, sys.path], layer_output: out}"""\n'
    out = frozen(tmp_path, body + layer + body, {"m/out": {"layer": 0}})
    assert out == body + "out = os.path([[], []])\n" + body


# --- the file's own text in place of libcst's printing ----------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _first_choice(path: str) -> dict:
    """A valid choice of every layer and hyperparameter of `path`: the last candidate, the
    most inputs, the last option (or the lower bound)."""
    analysis = analyse_file(path)
    choice: dict = {}
    for layer in analysis.layers:
        count = layer.input_num[1]
        choice[layer.key] = {"layer": len(layer.layer_choice) - 1, "inputs": list(range(len(layer.input_candidates)))[:count]}
    for param in analysis.params:
        shape = Param.of(param)
        choice[param.key] = len(shape.args) - 1 if shape.chooses else _number(shape)
    return choice


def _number(shape: Param) -> object:
    """A value the hyperparameter takes: its first argument, its second, or 1."""
    for value in (*shape.args[:2], 1.0):
        if shape.dist.startswith("q"):
            value = quantise(shape.dist, shape.args, value)
        if not isinstance(decide_param(shape, value), str):
            return value
    raise AssertionError(f"no value for {shape}")


def _freezable(path: str) -> bool:
    analysis = analyse_file(path)
    return bool(analysis.annotations) and not analysis.diagnostics


# every valid annotated fixture and example (their ops modules and the like have no annotation)
SHORTCUT_FILES = sorted(
    path
    for path in [str(p) for p in FIXTURES.rglob("*.py") if "without_extras" not in p.parts and "draw" not in p.parts]
    + [str(p) for p in EXAMPLES.rglob("*.py")]
    if _freezable(path)
)


@contextlib.contextmanager
def libcst_printing() -> Iterator[None]:
    """Make freeze print every node with libcst (no span is trusted, nothing hollowed)."""
    from nas_annotate.freeze import places

    init = places.Places.__init__

    def untrusted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        init(self, *args, **kwargs)
        self.exact = False

    places.Places.__init__ = untrusted  # type: ignore[method-assign]
    try:
        yield
    finally:
        places.Places.__init__ = init  # type: ignore[method-assign]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_files_text_is_what_libcst_prints_cases(case, tmp_path):
    """Untouched statements and compound statements' own lines are taken from the file
    (rewrite.Verbatim, rewrite.Framed): exactly what libcst prints for them."""
    shortcut = frozen(tmp_path, case.source, case.choice, case.options)
    with libcst_printing():
        assert frozen(tmp_path, case.source, case.choice, case.options) == shortcut


@pytest.mark.parametrize("path", SHORTCUT_FILES, ids=lambda p: str(Path(p).relative_to(Path(p).parents[2])))
def test_the_files_text_is_what_libcst_prints_files(path):
    document = json.dumps(_first_choice(path))
    shortcut = freeze(path, document)
    with libcst_printing():
        assert freeze(path, document) == shortcut


@pytest.mark.parametrize("path", [p for p in SHORTCUT_FILES if "/examples/" in p], ids=lambda p: Path(p).parent.name + "/" + Path(p).name)
def test_the_examples_take_the_shortcut(path):
    """The statement spans of ordinary code tile the file, so the shortcut is taken."""
    import libcst

    from nas_annotate.freeze.places import Places
    from nas_annotate.source import Source

    analysis = analyse_file(path)
    assert analysis.tree is not None
    source = Source.read(path)
    assert Places(source, analysis.tree, libcst.parse_module(source.text)).exact


def test_the_benchmark_module_prints_as_libcst_prints(tmp_path):
    """bench_compiler's generated module (4,566 lines, 500 annotations in every form): hollowed,
    with the file's text for untouched code, as libcst prints it whole."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        from bench_compiler import choice_for, generate
    finally:
        sys.path.pop(0)
    from nas_annotate.api import extract

    path = tmp_path / "model.py"
    path.write_text(generate())
    document = json.dumps(choice_for(json.loads(extract([str(path)]))))
    shortcut = freeze(str(path), document)
    with libcst_printing():
        assert freeze(str(path), document) == shortcut


def test_untouched_code_that_libcst_would_reprint_differently_stays_as_written(tmp_path):
    """libcst drops the space in `except (A, B) :` when it prints the node (Instagram/LibCST#1457,
    found freezing the standard library); freeze takes untouched code from the file."""
    source = _('''
        def f(run):
            try:
                run()
            except (ValueError, KeyError) :
                pass
            """@nni.mutable_layer {layer_choice: [a, b], layer_output: out}"""
            return out
    ''')
    out = frozen(tmp_path, source, {"m/f.out": {"layer": 1}})
    assert out == source.replace('"""@nni.mutable_layer {layer_choice: [a, b], layer_output: out}"""', "out = b([[], []])")

"""`nas-annotate draw`: the graph of a space as data (nodes, edges, chosen and not), the
pictures it writes (SVG that parses, PNG that opens, DOT), the command's errors, and what it
leaves unimported."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree

import pytest
from click.testing import CliRunner

from conftest import needs
from nas_annotate.cli import main
from nas_annotate.draw import draw, graph_of, only_chosen, render
from nas_annotate.draw.graph import AGGREGATE, CANDIDATE, FIXED, FLOW, LAYER, POST_PROCESS, VARIABLE
from nas_annotate.draw.layout import Text, layout

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENAS = os.path.join(ROOT, "examples", "seed", "enas_macro.py")
ENAS12 = os.path.join(ROOT, "tests", "fixtures", "draw", "enas_macro12.py")
DIGITS = os.path.join(ROOT, "examples", "digits", "train.py")
DIGITS_CHOICE = os.path.join(ROOT, "examples", "digits", "choice.json")


def edges(graph, kind=None):
    """The edges as (source label, target label, kind, chosen)."""
    label = {node.id: node.label for node in graph.nodes}
    return {(label[e.source], label[e.target], e.kind, e.chosen) for e in graph.edges if kind in (None, e.kind)}


def test_enas_macro_nodes_and_edges():
    graph = graph_of([ENAS])
    assert graph.modules == ["enas_macro"]
    assert [(n.kind, n.label) for n in graph.nodes] == [
        (VARIABLE, "image"), (LAYER, "out1"), (LAYER, "out2"), (LAYER, "out3"), (LAYER, "out4"), (LAYER, "out5"),
    ]
    out3 = graph.node("enas_macro/out3")
    assert out3.ops == ("conv3", "conv3_sep", "conv5", "conv5_sep", "avg_pool", "max_pool")
    assert (out3.input_num, out3.candidates, out3.chosen_op) == ((0, 1), 1, None)
    assert graph.node("enas_macro/out1").input_num is None
    assert edges(graph, FIXED) == {
        ("image", "out1", FIXED, True), ("out1", "out2", FIXED, True), ("out2", "out3", FIXED, True),
        ("out3", "out4", FIXED, True), ("out4", "out5", FIXED, True),
    }
    assert edges(graph, CANDIDATE) == {
        ("out1", "out3", CANDIDATE, True), ("out1", "out4", CANDIDATE, True), ("out2", "out4", CANDIDATE, True),
        ("out1", "out5", CANDIDATE, True), ("out2", "out5", CANDIDATE, True), ("out3", "out5", CANDIDATE, True),
    }
    assert not graph.decided


def test_aggregate_and_post_process_are_nodes_on_the_way():
    graph = graph_of([DIGITS])
    kinds = {(n.kind, n.label) for n in graph.nodes}
    assert {(AGGREGATE, "add"), (POST_PROCESS, "bn_relu"), (AGGREGATE, "concat"), (VARIABLE, "stem")} <= kinds
    assert edges(graph, FLOW) == {
        ("add", "cell2", FLOW, True), ("cell2", "bn_relu", FLOW, True), ("concat", "cell3", FLOW, True),
    }
    # inputs go into the aggregate; what reads cell2 reads its post_process
    assert ("cell1", "add", FIXED, True) in edges(graph)
    assert ("stem", "add", CANDIDATE, True) in edges(graph)
    assert ("bn_relu", "concat", FIXED, True) in edges(graph)
    assert {("stem", "concat", CANDIDATE, True), ("cell1", "concat", CANDIDATE, True)} <= edges(graph)


def test_a_choice_marks_the_chosen_op_and_inputs():
    choice = {
        "train/build_model.cell1": {"layer": "max_pool"},
        "train/build_model.cell2": {"layer": "identity", "inputs": []},
        "train/build_model.cell3": {"layer": 1, "inputs": ["cell1"]},
    }
    graph = graph_of([DIGITS], json.dumps(choice))
    assert graph.decided
    assert graph.node("train/build_model.cell1").chosen_op == 3
    assert graph.node("train/build_model.cell3").chosen_op == 1
    assert edges(graph, CANDIDATE) == {
        ("stem", "add", CANDIDATE, False), ("stem", "concat", CANDIDATE, False), ("cell1", "concat", CANDIDATE, True),
    }
    assert graph.node("train:build_model:stem").chosen  # cell1 reads it, fixed
    alone = only_chosen(graph)
    assert edges(alone, CANDIDATE) == {("cell1", "concat", CANDIDATE, True)}
    assert alone.node("train/build_model.cell1").ops == ("max_pool",)
    assert alone.node("train/build_model.cell1").chosen_op == 0


def test_a_variable_only_unchosen_candidates_read_is_faded_or_left_out(tmp_path):
    (tmp_path / "net.py").write_text(textwrap.dedent('''\
        a = b = 1
        """@nni.mutable_layer
        {layer_choice: [f, g], fixed_inputs: [a], input_candidates: [b], input_num: [0, 1], layer_output: y}"""
    '''))
    graph = graph_of([str(tmp_path / "net.py")], '{"net/y": {"layer": "g", "inputs": []}}')
    assert {n.label: n.chosen for n in graph.nodes if n.kind == VARIABLE} == {"a": True, "b": False}
    assert [n.label for n in only_chosen(graph).nodes] == ["a", "y"]


def test_hyperparameters_need_no_choice_and_are_not_unknown(tmp_path):
    (tmp_path / "hp.py").write_text(textwrap.dedent('''\
        """@nni.variable(nni.choice(1, 2), name=width)"""
        width = 1
        """@nni.mutable_layer
        {layer_choice: [f, g], layer_output: y}"""
    '''))
    path = str(tmp_path / "hp.py")
    for choice in ({"hp/y": {"layer": "g"}}, {"hp/y": {"layer": "g"}, "hp/width": 2}):
        assert graph_of([path], json.dumps(choice)).node("hp/y").chosen_op == 1


def test_scopes_and_modules_do_not_mix(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    cell = '''\
        def {name}(x):
            """@nni.mutable_layer
            {{layer_choice: [f, g], fixed_inputs: [x], layer_output: h}}{{
              layer_choice: [f], fixed_inputs: [h], input_candidates: [x], input_num: 1, layer_output: out}}"""
            return out
    '''
    (pkg / "a.py").write_text(textwrap.dedent(cell.format(name="one")) + textwrap.dedent(cell.format(name="two")))
    (pkg / "b.py").write_text(textwrap.dedent(cell.format(name="one")))
    graph = graph_of([str(pkg)])
    assert graph.modules == ["pkg.a", "pkg.b"]
    layers = [n.key for n in graph.nodes if n.kind == LAYER]
    assert layers == ["pkg.a/one.h", "pkg.a/one.out", "pkg.a/two.h", "pkg.a/two.out", "pkg.b/one.h", "pkg.b/one.out"]
    variables = [n.id for n in graph.nodes if n.kind == VARIABLE]
    assert variables == ["pkg.a:one:x", "pkg.a:two:x", "pkg.b:one:x"]
    assert ("pkg.a/two.h", "pkg.a/two.out", FIXED, True) in {(e.source, e.target, e.kind, e.chosen) for e in graph.edges}
    assert all(e.source.split("/")[0].split(":")[0] == e.target.split("/")[0] for e in graph.edges)
    svg = ElementTree.fromstring(render(graph, "svg"))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "pkg.a" in texts and "pkg.b" in texts  # a cluster per module


def test_a_layer_reading_its_own_name_reads_the_earlier_value(tmp_path):
    (tmp_path / "m.py").write_text(textwrap.dedent('''\
        x = 0
        """@nni.mutable_layer
        {layer_choice: [f], fixed_inputs: [x], layer_output: x, name: first}{
         layer_choice: [g], fixed_inputs: [x], layer_output: x, name: second}"""
    '''))
    graph = graph_of([str(tmp_path / "m.py")])
    assert [(e.source, e.target) for e in graph.edges] == [("m::x", "m/first"), ("m/first", "m/second")]


def test_svg_shows_every_node_and_dashes_each_candidate_once():
    graph = graph_of([ENAS12])
    svg = ElementTree.fromstring(render(graph, "svg"))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in svg.iter(ns + "text")]
    for n in range(1, 13):
        assert f"out{n}" in texts
    assert "inputs: 0–10 of 10" in texts
    dashed = [p for p in svg.iter(ns + "path") if p.get("stroke-dasharray")]
    candidates = sum(1 for e in graph.edges if e.kind == CANDIDATE)
    # a long candidate edge is a stub from its source plus its target's shared lane
    assert len(dashed) >= candidates
    assert float(svg.get("width")) < 800


def test_the_chosen_picture_marks_chosen_ops():
    scene = layout(graph_of([DIGITS], DIGITS_CHOICE))
    chosen = json.load(open(DIGITS_CHOICE))
    bold = {item.text for item in scene.items if isinstance(item, Text) and item.bold}
    for entry in chosen.values():
        assert entry["layer"] in bold


@needs("matplotlib")
def test_png_opens_at_twice_the_scene_size():
    from PIL import Image

    graph = graph_of([DIGITS], DIGITS_CHOICE)
    scene = layout(graph)
    image = Image.open(io.BytesIO(render(graph, "png")))
    assert image.format == "PNG"
    assert abs(image.size[0] - 2 * scene.width) <= 2 and abs(image.size[1] - 2 * scene.height) <= 2


def test_dot_has_every_edge_with_its_style():
    dot = render(graph_of([ENAS]), "dot").decode()
    assert dot.startswith("digraph space {")
    assert '"enas_macro/out1" -> "enas_macro/out5" [style=dashed' in dot
    assert '"enas_macro/out4" -> "enas_macro/out5" [color=' in dot
    assert dot.count("->") == 11


def test_the_library_call_is_the_commands(tmp_path):
    out = tmp_path / "space.svg"
    result = CliRunner().invoke(main, ["draw", ENAS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == draw([ENAS], "svg", title=ENAS)


@pytest.mark.parametrize("args, status, message", [
    (["x.jpg"], 2, "cannot tell the format of"),
    (["x.svg", "--only-chosen"], 2, "--only-chosen needs --choice"),
    (["x.svg", "-c", '{"enas_macro/out1": {"layer": "nope"}}'], 1, "names none of"),
])
def test_errors_are_one_line(tmp_path, args, status, message):
    result = CliRunner().invoke(main, ["draw", ENAS, "-o", str(tmp_path / args[0]), *args[1:]])
    assert result.exit_code == status
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_file_without_layers_is_an_error(tmp_path):
    (tmp_path / "plain.py").write_text("x = 1\n")
    result = CliRunner().invoke(main, ["draw", str(tmp_path / "plain.py"), "-o", str(tmp_path / "a.svg")])
    assert result.exit_code == 1
    assert "nothing to draw: no mutable layer annotation" in result.output
    assert not (tmp_path / "a.svg").exists()


def test_svg_and_help_do_not_import_matplotlib(tmp_path):
    """draw to SVG or DOT stays in plain Python; the other commands never load draw."""
    snippet = textwrap.dedent(f"""
        import json, sys
        from nas_annotate.entry import main
        seen = {{}}
        for argv in (["--help"], ["draw", "--help"], ["extract", {ENAS!r}], ["draw", {ENAS!r}, "-o", {str(tmp_path / 'a.svg')!r}],
                     ["draw", {ENAS!r}, "-o", {str(tmp_path / 'a.dot')!r}]):
            sys.argv = ["nas-annotate", *argv]
            try:
                main()
            except SystemExit as exc:
                assert not exc.code, (argv, exc.code)
            seen[" ".join(argv[:2])] = sorted(m for m in sys.modules if m.startswith(("matplotlib", "nas_annotate.draw", "optuna")))
        sys.stderr.write(json.dumps(seen))
    """)
    proc = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stderr.strip().splitlines()[-1])
    assert seen["--help"] == [] and seen["draw --help"] == [] and seen[f"extract {ENAS}"] == []
    assert not [m for m in seen[f"draw {ENAS}"] if not m.startswith("nas_annotate.draw")]


def test_two_files_of_one_module_name_are_two_clusters(tmp_path):
    for folder, output in (("a", "y"), ("b", "z")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "net.py").write_text(
            f'x = 1\n"""@nni.mutable_layer\n{{layer_choice: [f], fixed_inputs: [x], layer_output: {output}}}"""\n'
        )
    graph = graph_of([str(tmp_path / "a"), str(tmp_path / "b")])
    assert graph.modules == ["net", f"net ({tmp_path / 'b' / 'net.py'})"]
    assert [n.id for n in graph.nodes if n.kind == VARIABLE] == ["net::x", f"net ({tmp_path / 'b' / 'net.py'})::x"]
    assert len({item.x for item in layout(graph).items if isinstance(item, Text) and item.text == "x"}) == 2

"""Interoperation with the real `nni` package (skipped when it is not installed).

`extract --format nni` goes through NNI's own `convert_nas_search_space` and its tuners; what
they return is decoded by us exactly as NNI's trial code decodes it; and `nas-annotate run`
works as an NNI trial command: parameters from NNI, results reported to NNI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require

require("nni")
import nni  # noqa: E402

nas_utils = pytest.importorskip("nni.common.nas_utils")
from nni.algorithms.hpo.random_tuner import RandomTuner  # noqa: E402
from nni.algorithms.hpo.tpe_tuner import TpeTuner  # noqa: E402

from nas_annotate import api  # noqa: E402
from nas_annotate.choice import parse_choice, resolve  # noqa: E402

HERE = Path(__file__).parent
ROOT = HERE.parent
NAS = os.path.join(os.path.dirname(sys.executable), "nas-annotate")
SCRIPTS = [ROOT / "examples" / "toy" / "score.py", ROOT / "examples" / "digits" / "train.py", HERE / "fixtures" / "search" / "trial.py"]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAS_ANNOTATE_", "NNI_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def tuner_parameters(script: Path, tuner: type, count: int) -> list[dict]:
    """What an NNI tuner proposes for our `--format nni` space, after NNI's conversion."""
    space = nas_utils.convert_nas_search_space(json.loads(api.extract([str(script)], "nni")))
    proposer = tuner(seed=0)
    proposer.update_search_space(space)
    return [proposer.generate_parameters(i) for i in range(count)]


def nni_decoding(parameters: dict, space: dict, monkeypatch) -> dict:
    """Each layer's (layer, inputs) as NNI's own trial code decodes `parameters`."""
    monkeypatch.setattr(nas_utils.trial, "get_current_parameter", lambda key=None: parameters if key is None else {})
    decoded = {}
    for block, entry in space.items():
        for layer, fields in entry["_value"].items():
            chosen, inputs = nas_utils._get_layer_and_inputs_from_tuner(block, layer, fields["optional_inputs"])
            decoded[block] = (chosen, list(inputs))
    return decoded


@pytest.mark.parametrize("tuner", [RandomTuner, TpeTuner])
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_what_nni_tuners_propose_means_what_nni_means(script, tuner, monkeypatch):
    space = json.loads(api.extract([str(script)], "nni"))
    analysis = api.analyse_file(str(script))
    for parameters in tuner_parameters(script, tuner, 6):
        decisions = resolve(parse_choice(json.dumps(parameters), "params.json"), analysis.module, analysis.layers)
        ours = {
            layer.key: (layer.choice_labels[decisions[layer.key].layer], [layer.input_labels[i] for i in decisions[layer.key].inputs])
            for layer in analysis.layers
        }
        assert ours == nni_decoding(parameters, space, monkeypatch)


def test_tuner_parameters_expand_and_run(tmp_path):
    script = ROOT / "examples" / "toy" / "score.py"
    for number, parameters in enumerate(tuner_parameters(script, RandomTuner, 3)):
        choice = tmp_path / f"params{number}.json"
        choice.write_text(json.dumps(parameters))
        expanded = tmp_path / f"expanded{number}.py"
        expanded.write_bytes(api.expand(str(script), str(choice)))
        plain = subprocess.run([sys.executable, str(expanded)], capture_output=True, text=True, check=False, env=environment())
        ran = subprocess.run([NAS, "run", str(script), "--choice", str(choice)], capture_output=True, text=True, check=False, env=environment())
        assert plain.returncode == ran.returncode == 0, (plain.stderr, ran.stderr)
        assert plain.stdout == ran.stdout and plain.stdout.startswith("score: ")


def test_run_is_an_nni_trial_command(tmp_path):
    """NNI's local platform: parameters in NNI_SYS_DIR/parameter.cfg, metrics to .nni/metrics."""
    script = HERE / "fixtures" / "search" / "trial.py"
    parameters = tuner_parameters(script, RandomTuner, 1)[0]
    (tmp_path / "parameter.cfg").write_text(json.dumps({"parameter_id": 5, "parameter_source": "algorithm", "parameters": parameters}))
    env = environment(NNI_PLATFORM="local", NNI_SYS_DIR=str(tmp_path), NNI_OUTPUT_DIR=str(tmp_path), NNI_TRIAL_JOB_ID="trial1", NNI_EXP_ID="exp")
    result = subprocess.run([NAS, "run", str(script), "--", "--steps", "2"], capture_output=True, text=True, check=False, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line[8:]) for line in (tmp_path / ".nni" / "metrics").read_text().splitlines()]
    assert [(r["type"], r["parameter_id"], r["trial_job_id"]) for r in records] == [
        ("PERIODICAL", 5, "trial1"), ("PERIODICAL", 5, "trial1"), ("FINAL", 5, "trial1")
    ]
    final = float(json.loads(records[-1]["value"]))
    halfway = float(json.loads(records[0]["value"]))
    assert halfway == pytest.approx(final / 2)


@pytest.mark.parametrize("tuner", [RandomTuner, TpeTuner])
def test_nni_tuners_drive_hyperparameters_of_every_distribution(tuner, tmp_path):
    """Variables, a function choice and a mutable layer: NNI's tuners sample our `--format nni`
    space, and `run` gives the script exactly the values the tuner chose."""
    script = HERE / "fixtures" / "search" / "hyper.py"
    for number, parameters in enumerate(tuner_parameters(script, tuner, 4)):
        choice = tmp_path / f"params{number}.json"
        choice.write_text(json.dumps(parameters))
        ran = subprocess.run([NAS, "run", str(script), "--choice", str(choice)], capture_output=True, text=True, check=False, env=environment())
        assert ran.returncode == 0, ran.stderr
        given = json.loads(ran.stdout.splitlines()[0])
        for name in ("lr", "depth", "dropout", "width", "decay", "batch", "shift", "center", "spread", "ratio"):
            assert given[name] == pytest.approx(parameters[f"hyper/{name}"], rel=1e-12)
        power = parameters["hyper/power"]
        assert given["power"] == given["depth"] ** (2 if power == "square(depth)" else 3)
        plain = tmp_path / f"expanded{number}.py"
        plain.write_bytes(api.expand(str(script), str(choice)))
        expanded = subprocess.run([sys.executable, str(plain)], capture_output=True, text=True, check=False, env=environment())
        assert expanded.stdout == ran.stdout, expanded.stderr


@pytest.mark.parametrize("script", [*SCRIPTS, HERE / "fixtures" / "search" / "hyper.py"], ids=lambda p: p.name)
def test_nni_flat_is_what_nni_converts_our_nni_format_to(script):
    converted = nas_utils.convert_nas_search_space(json.loads(api.extract([str(script)], "nni")))
    assert json.loads(api.extract([str(script)], "nni-flat")) == converted


def test_nni_3_tuners_take_nni_flat_as_it_is(tmp_path):
    script = HERE / "fixtures" / "search" / "hyper.py"
    tuner = TpeTuner(seed=1)
    tuner.update_search_space(json.loads(api.extract([str(script)], "nni-flat")))
    choice = tmp_path / "params.json"
    choice.write_text(json.dumps(tuner.generate_parameters(0)))
    ran = subprocess.run([NAS, "run", str(script), "--choice", str(choice)], capture_output=True, text=True, check=False, env=environment())
    assert ran.returncode == 0, ran.stderr


def test_a_report_before_any_choice_asks_nni_for_the_parameters_first(tmp_path):
    """A script that reports before any layer is decided (here: it has no layer at all) still
    reports: NNI refuses results from a trial that has not asked for its parameters."""
    script = tmp_path / "only_reports.py"
    script.write_text('value = 0.5\n"""@nni.report_intermediate_result(value)"""\n"""@nni.report_final_result(value)"""\n')
    (tmp_path / "parameter.cfg").write_text(json.dumps({"parameter_id": 2, "parameter_source": "algorithm", "parameters": {}}))
    env = environment(NNI_PLATFORM="local", NNI_SYS_DIR=str(tmp_path), NNI_OUTPUT_DIR=str(tmp_path), NNI_TRIAL_JOB_ID="t", NNI_EXP_ID="e")
    result = subprocess.run([NAS, "run", str(script)], capture_output=True, text=True, check=False, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line[8:]) for line in (tmp_path / ".nni" / "metrics").read_text().splitlines()]
    assert [(r["type"], r["parameter_id"]) for r in records] == [("PERIODICAL", 2), ("FINAL", 2)]


def nni_run(tmp_path: Path, text: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """`nas-annotate run` of `text` as an NNI trial on NNI's local platform; its metric records."""
    script = tmp_path / "script.py"
    script.write_text(text)
    (tmp_path / "parameter.cfg").write_text(json.dumps({"parameter_id": 3, "parameter_source": "algorithm", "parameters": {}}))
    env = environment(NNI_PLATFORM="local", NNI_SYS_DIR=str(tmp_path), NNI_OUTPUT_DIR=str(tmp_path), NNI_TRIAL_JOB_ID="t", NNI_EXP_ID="e")
    result = subprocess.run([NAS, "run", str(script)], capture_output=True, text=True, check=False, env=env, cwd=tmp_path)
    metrics = tmp_path / ".nni" / "metrics"
    return result, [json.loads(line[8:]) for line in metrics.read_text().splitlines()] if metrics.exists() else []


def test_mapping_reports_go_to_nni_as_they_are(tmp_path):
    """NNI's convention: a dict whose "default" its tuners and assessors read (extract_scalar_reward)."""
    from nni.utils import extract_scalar_reward

    result, records = nni_run(tmp_path, (
        'for step in range(2):\n'
        '    """@nni.report_intermediate_result({"default": 0.5 + step / 10, "loss": 1.0})"""\n'
        '"""@nni.report_final_result({"default": 0.75, "params": 1234})"""\n'
    ))
    assert result.returncode == 0, result.stderr
    values = [json.loads(record["value"]) for record in records]
    assert [record["type"] for record in records] == ["PERIODICAL", "PERIODICAL", "FINAL"]
    assert values == [{"default": 0.5, "loss": 1.0}, {"default": 0.6, "loss": 1.0}, {"default": 0.75, "params": 1234.0}]
    assert [extract_scalar_reward(value) for value in values] == [0.5, 0.6, 0.75]


def test_a_mapping_without_default_is_an_error_under_nni(tmp_path):
    result, records = nni_run(tmp_path, 'x = 1\n"""@nni.report_final_result({"accuracy": 0.75})"""\n')
    assert (result.returncode, records) == (1, [])
    assert result.stderr == (
        f"{tmp_path / 'script.py'}:2: error: NNI takes a mapping with a 'default' entry, the value its tuners optimize; "
        "this one has 'accuracy'\n"
    )

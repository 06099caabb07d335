"""`nas-annotate dashboard`: optuna-dashboard on a finished search, its errors on one line,
Ctrl-C, and the page itself in a real browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import SEARCH, missing, needs
from nas_annotate.cli import main

pytestmark = needs(*SEARCH, "optuna_dashboard")

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "examples" / "toy" / "score.py"
COMMAND = [sys.executable, "-m", "nas_annotate"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """The output directory of a finished tiny search of the toy space (5 random trials)."""
    from nas_annotate.search import Options, search

    out = tmp_path_factory.mktemp("dashboard") / "out"
    search(Options(script=str(TOY), out=str(out), trials=5, sampler="random", seed=3, quiet=True, progress=False),
           echo=lambda text: None)
    return out


class Served:
    """`nas-annotate dashboard ARGS --port 0`, running; `url` is the study's page."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([*COMMAND, "dashboard", *args, "--port", "0"], stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            assert line, f"the dashboard ended: {self.lines}"
            self.lines.append(line)
            if "Ctrl-C stops it" in line:
                break
        study_line = next(line for line in self.lines if line.startswith("study "))
        self.url = study_line.rsplit(": ", 1)[1].strip()
        self.base = self.url.split("/dashboard/")[0]

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return response.read()

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        rest = self.process.communicate(timeout=20)[1]
        return self.process.returncode, rest


def test_serves_the_study_with_each_trials_picture_and_stops_on_ctrl_c(finished):
    served = Served(str(finished))
    try:
        assert served.url.startswith("http://127.0.0.1:") and "/dashboard/studies/" in served.url
        study_id = int(served.url.rsplit("/", 1)[1])
        detail = json.loads(served.get(f"/api/studies/{study_id}"))
        assert detail["name"] == "score" and len(detail["trials"]) == 5
        for trial in detail["trials"]:
            attrs = {a["key"]: a["value"] for a in trial["user_attrs"]}
            assert "cell1=" in attrs["architecture"]
            (artifact,) = trial["artifacts"]
            svg = served.get(f"/artifacts/{study_id}/{trial['trial_id']}/{artifact['artifact_id']}")
            assert svg.startswith(b"<svg") and attrs["architecture"].split()[0].split("=")[1].encode() in svg
    finally:
        status, rest = served.stop()
    assert status == 0 and rest.strip().endswith("nas-annotate: dashboard stopped")
    assert "Traceback" not in "".join(served.lines) + rest


def run_dashboard(*args: str) -> Result:
    """The command in process: what stops it from starting comes before it serves."""
    return CliRunner().invoke(main, ["dashboard", *args])


def one_line_error(done: Result) -> str:
    assert done.exit_code == 1, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    (line,) = done.stderr.strip().splitlines()
    return line


def test_a_directory_with_no_study(tmp_path):
    assert one_line_error(run_dashboard(str(tmp_path))) == (
        f"{tmp_path}: error: no study here (no study.db); for a search whose study is in a database: --storage URL"
    )
    assert one_line_error(run_dashboard(str(tmp_path / "nope"))) == f"{tmp_path / 'nope'}: error: no such directory"


def test_a_storage_that_cannot_be_opened(tmp_path):
    line = one_line_error(run_dashboard("--storage", f"sqlite:///{tmp_path}/no/such/dir/study.db"))
    assert line.startswith(f"nas-annotate: error: cannot open the study storage 'sqlite:///{tmp_path}/no/such/dir/study.db': ")


@needs("psycopg2")
def test_an_unreachable_database_server():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = one_line_error(run_dashboard("--storage", f"postgresql+psycopg2://nas:secret@127.0.0.1:{port}/nas"))
    assert line.startswith(f"nas-annotate: error: cannot open the study storage 'postgresql+psycopg2://nas:***@127.0.0.1:{port}/nas': ")
    assert "secret" not in line and "refused" in line


def test_a_port_in_use(finished):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(run_dashboard(str(finished), "--port", str(port)))
    assert line == f"{finished}: error: cannot listen on 127.0.0.1:{port}: Address already in use (another program uses it: choose another --port)"


def test_an_artifact_directory_that_is_not_there(finished):
    line = one_line_error(run_dashboard("--storage", f"sqlite:///{finished}/study.db", "--artifacts", str(finished / "nope")))
    assert line == f"nas-annotate: error: --artifacts {finished / 'nope'}: no such directory"


def test_neither_or_both_sources(finished):
    assert one_line_error(run_dashboard()).endswith("give a search's output directory or --storage URL (one of them)")
    both = run_dashboard(str(finished), "--storage", f"sqlite:///{finished}/study.db")
    assert one_line_error(both).endswith("give a search's output directory or --storage URL (one of them)")


# --- in a real browser ------------------------------------------------------------------

def chromium() -> str | None:
    """Debian's Chromium, where installed (Playwright's own browser download is not used)."""
    return next(filter(None, (shutil.which(name) for name in ("chromium", "chromium-browser"))), None)


def browser_missing() -> str | None:
    reason = missing("playwright")
    if reason is None and chromium() is None:
        reason = "needs a Chromium browser: apt-get install chromium (.ci/run installs it where it runs as root)"
    return reason


@pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")
def test_the_page_shows_the_study_a_trials_choice_and_its_picture(finished):
    from playwright.sync_api import sync_playwright

    import optuna

    study = optuna.load_study(study_name="score", storage=f"sqlite:///{finished / 'study.db'}")
    best = study.best_trial
    served = Served(str(finished))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(served.url)
            page.get_by_text(f"score (id={study._study_id})").wait_for(timeout=30_000)  # the study, by name
            page.goto(f"{served.url}/trials?numbers={best.number}")
            page.get_by_text(f"Trial {best.number} (trial_id={best._trial_id})").wait_for(timeout=30_000)
            assert page.get_by_text(f"{len(study.trials)} Trials", exact=True).is_visible()  # the study's trials, listed
            assert page.get_by_text(f"architecture {best.user_attrs['architecture']}").is_visible()  # the choice, readable
            for key, entry in best.user_attrs["choice"].items():  # each layer's op by label, among the parameters
                assert page.get_by_text(f"{key}:layer {entry['layer']}", exact=True).is_visible()
            picture = page.locator(f"img[src*='/artifacts/{study._study_id}/{best._trial_id}/']").first
            picture.wait_for(state="visible", timeout=20_000)
            assert picture.evaluate("img => img.complete && img.naturalWidth > 100")
            browser.close()
    finally:
        served.stop()

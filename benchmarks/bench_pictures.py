"""`nas-annotate draw` to SVG, wall time, and `nas-annotate dashboard`'s first page of a
1,000-trial study.

    python benchmarks/bench_pictures.py [--runs 9] [--trials 1000] [--json PATH]

draw: the median wall time of `nas-annotate draw FILE -o x.svg` (a new process each time) of
examples/seed/enas_macro.py (5 layers) and of ENAS's 12-layer macro space
(tests/fixtures/draw/enas_macro12.py), against `python -c pass`.

dashboard: a study of the toy space with `--trials` trials made as `search` makes them (each
with its choice and its picture as an artifact), then `nas-annotate dashboard` on it;
timed from a fresh server: the study's page and the request it makes for the study's trials
(`/api/studies/ID`), and, where Playwright and Chromium are installed, the page in headless
Chromium until its trial count shows. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRAWN = {"enas_macro": "examples/seed/enas_macro.py", "enas_macro12": "tests/fixtures/draw/enas_macro12.py"}
TOY = os.path.join(ROOT, "examples", "toy", "score.py")


def wall_ms(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def make_study(out: str, trials: int) -> None:
    """`trials` finished trials of the toy space, each given its picture as `search` does."""
    import random

    import optuna

    from nas_annotate.search.driver import Options
    from nas_annotate.search.pictures import Pictures
    from nas_annotate.search.optuna_space import load_space

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    os.makedirs(os.path.join(out, "trials"))
    options = Options(script=TOY, out=out)
    space = load_space(TOY)
    pictures = Pictures(options, out)
    study = optuna.create_study(storage=f"sqlite:///{out}/study.db", study_name="score", direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    distributions = space.distributions()
    for _ in range(trials):
        trial = study.ask(fixed_distributions=distributions)
        choice = space.choice(trial.params)
        trial.set_user_attr("choice", choice)
        pictures.attach(trial, choice)
        study.tell(trial, random.random() * 11)


def first_page(out: str, trials: int, browser: str | None) -> dict[str, float | None]:
    """Start the dashboard, time its first page (HTTP, and in Chromium when `browser`), stop it."""
    process = subprocess.Popen([sys.executable, "-m", "nas_annotate", "dashboard", out, "--port", "0"],
                               stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        lines = []
        while not lines or "Ctrl-C stops it" not in lines[-1]:
            lines.append(process.stderr.readline())
            if not lines[-1]:
                sys.exit("the dashboard ended: " + "".join(lines))
        url = next(line for line in lines if line.startswith("study ")).rsplit(": ", 1)[1].strip()
        base, study_id = url.split("/dashboard/")[0], url.rsplit("/", 1)[1]
        began = time.perf_counter()
        for path in (url, f"{base}/api/studies/{study_id}"):
            with urllib.request.urlopen(path, timeout=60) as response:
                response.read()
        http_ms = (time.perf_counter() - began) * 1000
        browser_ms = None
        if browser is not None:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path=browser, args=["--no-sandbox", "--disable-gpu"])
                page = chromium.new_page()
                began = time.perf_counter()
                page.goto(f"{url}/trials")
                page.get_by_text(f"{trials} Trials", exact=True).wait_for(timeout=60_000)  # the trial list, filled
                browser_ms = (time.perf_counter() - began) * 1000
                chromium.close()
        return {"http_ms": http_ms, "browser_ms": browser_ms}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    command = [sys.executable, "-m", "nas_annotate"]
    results: dict[str, float | int | None] = {"trials": args.trials}
    with tempfile.TemporaryDirectory(prefix="bench-pictures-") as work:
        results["python_pass_ms"] = wall_ms([sys.executable, "-c", "pass"], args.runs)
        for name, path in DRAWN.items():
            results[f"{name}_ms"] = wall_ms([*command, "draw", path, "-o", os.path.join(work, f"{name}.svg")], args.runs)
            print(f"draw {path} -o x.svg: {results[f'{name}_ms']:.0f} ms (median of {args.runs})")
        print(f"python -c pass: {results['python_pass_ms']:.0f} ms")
        began = time.perf_counter()
        out = os.path.join(work, "out")
        make_study(out, args.trials)
        print(f"a study of {args.trials} trials with their pictures: {time.perf_counter() - began:.0f} s")
        browser = shutil.which("chromium") if _has_playwright() else None
        timed = first_page(out, args.trials, browser)
        results["dashboard_http_ms"], results["dashboard_browser_ms"] = timed["http_ms"], timed["browser_ms"]
        print(f"dashboard, fresh server: the study's page and its trials (/api/studies/ID): {timed['http_ms']:.0f} ms")
        if timed["browser_ms"] is not None:
            print(f"dashboard, fresh server: the study's page in headless Chromium until it shows: {timed['browser_ms']:.0f} ms")
        else:
            print("dashboard in a browser: not measured (needs playwright and Debian's chromium)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


def _has_playwright() -> bool:
    import importlib.util

    return importlib.util.find_spec("playwright") is not None


if __name__ == "__main__":
    main()

"""The trial worker: a process that imports the script's heavy modules once, then forks a
child per trial, so no trial pays for importing TensorFlow and a crash stays in its child.

It speaks JSON lines: the driver writes `{"preload": [...], "fresh": bool}` and then one
request per trial (`trial`, `script`, `args`, `choice`, `log`, `report`, `objectives`; under
`--inherit` also `inherit`: `save`, `parent`, `parent_weights`; for a
one-shot search's supernet also `oneshot`: `strategy`, `label`, `options`, `seed`, `count`,
`state`); the worker answers `{"ready": ...}`, `{"trial": n, "pid": p}` when a trial starts
and `{"trial": n, "status": s}` when it ends (`s` < 0: killed by signal `-s`).  Each trial runs in its own session, so the
driver can stop it and everything it started with one `killpg`.  With `fresh`, each trial is
a new interpreter instead of a fork (for scripts whose modules are not safe to fork).
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from typing import Any

from ..reporting import ENV as REPORT_ENV, OBJECTIVES_ENV


def run_trial(request: dict[str, Any]) -> int:
    """Run one trial in this process (a fresh child): the choice set, stdout/stderr to its log.
    A request with `oneshot` trains the supernet of that strategy instead (`_supernet`)."""
    from .. import runtime
    from ..runner import run_script

    os.environ.update(request.get("env") or {})  # its GPUs (CUDA is not initialised yet: gpus.py)
    os.environ[REPORT_ENV] = request["report"]
    os.environ["NAS_ANNOTATE_TRIAL"] = str(request["trial"])
    if request.get("objectives"):
        os.environ[OBJECTIVES_ENV] = json.dumps(request["objectives"])
    oneshot = request.get("oneshot")
    if oneshot:
        net = _supernet(oneshot)
        if net is None:
            return 1
        runtime.set_supernet(net, request["choice"] or None)
    else:
        runtime.set_choice(request["choice"])
    inheritance = _inheritance(request.get("inherit"))
    status = run_script(request["script"], request["args"])
    if inheritance is not None:
        inheritance.finish(saving=status == 0)
    if oneshot and status == 0:
        status = _finish_oneshot(net, oneshot)
    sys.stdout.flush()
    sys.stderr.flush()
    return status


def _inheritance(inherit: dict[str, Any] | None) -> Any:
    """The trial's weight inheritance (`search --inherit`), recording from now; None without."""
    if not inherit:
        return None
    from ..inherit.trial import Inheritance

    inheritance = Inheritance(inherit["save"], inherit.get("parent"), inherit.get("parent_weights"))
    try:
        inheritance.start()
    except ImportError as exc:
        print(f"nas-annotate: note: --inherit works on Keras models, and Keras cannot be imported ({exc}): "
              "this trial inherits and saves nothing", file=sys.stderr)
        return None
    return inheritance


def _supernet(oneshot: dict[str, Any]) -> Any:
    """The supernet of the strategy `oneshot` names, made with its options and seed (None, the
    problem printed, when the strategy cannot be made)."""
    from ..strategies.registry import StrategyProblem, find
    from ..supernet import Net

    try:
        strategy = find(oneshot["strategy"]).make(oneshot["options"], oneshot["seed"])
    except StrategyProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    return Net(strategy, oneshot["label"])


def _finish_oneshot(net: Any, oneshot: dict[str, Any]) -> int:
    """Let the strategy name its architectures, then write the supernet's state for the driver,
    with the strategy's options and the values the run gave its hyperparameters."""
    from ..diagnostics import RunError
    from ..files import atomic_write
    from ..strategies.registry import find

    try:
        state = net.finish(int(oneshot["count"]))
    except RunError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    defaults = {option.name: option.default for option in find(oneshot["strategy"]).options}
    state["options"] = {**defaults, **oneshot["options"], "seed": oneshot["seed"]}
    state["hyperparameters"] = _hyperparameters()
    atomic_write(oneshot["state"], json.dumps(state, indent=1).encode())
    return 0


def _hyperparameters() -> dict[str, Any]:
    """The values the run gave its hyperparameters (the first option or lower bound, unless chosen)."""
    from .. import runtime

    shapes = runtime.state().shapes
    return {key: value for key, value in runtime.decisions().items() if not hasattr(shapes[key], "choice_labels")}


def _redirect(log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.close(null)


def _fork(request: dict[str, Any], proto: int) -> int:
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        os.setsid()
        os.close(proto)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _redirect(request["log"])
        status = run_trial(request)
    except BaseException:  # noqa: BLE001  (the child must never return into the worker's loop)
        import traceback

        traceback.print_exc()
    finally:
        os._exit(status if isinstance(status, int) and 0 <= status < 256 else 1)


def _spawn(request: dict[str, Any]) -> int:
    with open(request["log"], "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "nas_annotate.search.worker", "--trial", json.dumps(request)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )
    return child.pid


def _preload(modules: list[str]) -> dict[str, Any]:
    """Import `modules`; stop at one that initialises an accelerator at import (`tainted`: the
    driver then starts a worker without it, for a CUDA context would not survive a fork)."""
    from .devices import initialized

    loaded, failed = [], {}
    for name in modules:
        started = time.perf_counter()
        try:
            importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001  (a module that cannot load here is left to the trial)
            failed[name] = f"{type(exc).__name__}: {exc}"
        else:
            loaded.append([name, round(time.perf_counter() - started, 3)])
        what = initialized()
        if what is not None:
            return {"ready": True, "preloaded": loaded, "failed": failed, "tainted": [name, what]}
    return {"ready": True, "preloaded": loaded, "failed": failed}


class _Lines:
    """Complete lines from a file descriptor, without blocking past what select() promised."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.closed = False

    def read(self) -> list[dict[str, Any]]:
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.closed = True
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]


def serve() -> None:
    """The worker's loop: start requested trials, report their ends, stop when the driver goes."""
    from .. import (  # noqa: F401
        codegen,
        pipeline,
        runner,
        runtime,
    )
    proto = os.dup(1)
    os.dup2(2, 1)  # stray prints of preloaded modules go to the worker's log, not the protocol
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle

    def send(message: dict[str, Any]) -> None:
        os.write(proto, (json.dumps(message) + "\n").encode())

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # a child's end wakes select()
    lines = _Lines(0)
    config: dict[str, Any] | None = None
    running: dict[int, int] = {}
    while not lines.closed:
        ready, _, _ = select.select([0, wake_read], [], [], 1.0)
        if wake_read in ready:
            os.read(wake_read, 4096)
        messages = lines.read() if 0 in ready else []
        for message in messages:
            if config is None:
                config = message
                send(_preload(config.get("preload", [])))
                continue
            fresh = config.get("fresh") or not hasattr(os, "fork")
            pid = _spawn(message) if fresh else _fork(message, proto)
            running[pid] = message["trial"]
            send({"trial": message["trial"], "pid": pid})
        while running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid in running:
                code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                send({"trial": running.pop(pid), "status": code})
    for pid in running:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def main(argv: list[str]) -> int:
    if argv[:1] == ["--trial"]:
        return run_trial(json.loads(argv[1]))
    serve()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no interpreter shutdown: with TensorFlow loaded it takes seconds


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The worker process from the driver's side: started with the script's heavy modules to
preload, sent trials, read for their pids and ends; and the signals that stop a trial."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from .options import Options, SearchProblem
from .optuna_space import space_files

GRACE = 5.0  # seconds a stopped trial gets between SIGTERM and SIGKILL


def _preload_modules(options: Options) -> list[str]:
    """Modules the worker imports once: the script's top-level imports that are not its own
    files (those may carry annotations and are compiled per trial), plus --preload."""
    import ast

    if options.no_preload:
        return list(options.preload)
    own = {os.path.dirname(path) for path in space_files(options.script)}
    try:
        with open(options.script, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return list(options.preload)
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    modules = []
    for name in names:
        top = name.partition(".")[0]
        if any(os.path.exists(os.path.join(d, top + ".py")) or os.path.isdir(os.path.join(d, top)) for d in own):
            continue
        if name not in modules:
            modules.append(name)
    return modules + [m for m in options.preload if m not in modules]


class Worker:
    """The driver's end of the worker process."""

    def __init__(self, options: Options, out_dir: str) -> None:
        self.log = open(os.path.join(out_dir, "worker.log"), "ab")
        self.fresh = options.fresh
        self.modules = _preload_modules(options)
        self.refused: dict[str, str] = {}
        self._start()

    def _start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nas_annotate.search.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, start_new_session=True,
        )
        self.buffer = b""
        self.send({"preload": self.modules, "fresh": self.fresh})

    def ready(self) -> dict[str, str]:
        """Wait for the worker's preloads; the modules it did not preload, with why. A module
        that initialises an accelerator at import (a CUDA context does not survive the fork of
        every trial) is dropped, and the worker started again without it."""
        while True:
            for message in self.receive(1.0):
                if not message.get("ready"):
                    continue
                if "tainted" not in message:
                    return {**self.refused, **message["failed"]}
                name, what = message["tainted"]
                self.refused[name] = (f"it initialises {what} at import, and a CUDA context does not survive the fork "
                                      "of each trial: not preloaded")
                self.modules = [module for module in self.modules if module != name]
                self.close(keep_log=True)
                self._start()

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        import select

        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return []
        chunk = os.read(fd, 65536)
        if not chunk:
            raise SearchProblem("the trial worker stopped unexpectedly; see worker.log in the output directory")
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self) -> None:
        """Tell the worker to end (it stops any trial still running)."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()

    def close(self, keep_log: bool = False) -> None:
        """Stop the worker and wait for it."""
        self.stop()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if not keep_log:
            self.log.close()


def kill(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


def tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(handle.tell() - 8192, 0))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])

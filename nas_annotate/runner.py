"""`nas-annotate run`: run an annotated script as `__main__`, its annotated imports expanded too."""

from __future__ import annotations

import os
import sys
import types
from typing import Sequence

from .diagnostics import RunError
from .importhook import AnnotationError, compile_annotated, has_annotations, install_import_hook, script_code
from .keys import module_name
from .runtime import ChoiceError
from .spawning import pass_on

_PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")


def _user_traceback(exc: BaseException) -> None:
    """Print `exc` as Python would, without the frames of nas_annotate itself."""
    import traceback

    tb = exc.__traceback__
    frames = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            frames.append(tb)
        tb = tb.tb_next
    for earlier, later in zip(frames, frames[1:]):
        earlier.tb_next = later
    if frames:
        frames[-1].tb_next = None
    exc.__traceback__ = frames[0] if frames else None
    traceback.print_exception(type(exc), exc, exc.__traceback__)


def run_script(script: str, args: Sequence[str] = (), packages: Sequence[str] = ()) -> int:
    """Run `script` like `python script args...`; return its exit status.

    The runtime's choice must be set before (`runtime.set_choice`), or come from the
    environment or NNI. Annotated modules under the script's directory, and in `packages`,
    are expanded as they are imported.
    """
    path = os.path.abspath(script)
    directory = os.path.dirname(os.path.realpath(script))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        print(f"{script}: error: cannot run: {exc.strerror or exc}", file=sys.stderr)
        return 1
    main = types.ModuleType("__main__")
    main.__dict__.update({"__file__": path, "__builtins__": __builtins__, "__cached__": None, "__spec__": None})
    saved = sys.argv, sys.path[0] if sys.path else None, sys.modules.get("__main__")
    sys.argv = [script, *args]
    if sys.path:
        sys.path[0] = directory
    else:
        sys.path.insert(0, directory)
    sys.modules["__main__"] = main
    hook = install_import_hook(packages=packages, roots=[directory])
    undo_spawning = pass_on(path, [directory], packages)
    try:
        exec(script_code(path, data), main.__dict__)
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=sys.stderr)
        return 1
    except (AnnotationError, RunError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        _user_traceback(exc)
        return 130
    except BaseException as exc:  # the script's own exception: shown as Python shows it
        _user_traceback(exc)
        return 1
    finally:
        undo_spawning()
        hook.uninstall()
        sys.argv = saved[0]
        if saved[1] is not None:
            sys.path[0] = saved[1]
        if saved[2] is not None:
            sys.modules["__main__"] = saved[2]
    return 0


class UsageProblem(Exception):
    """The command line cannot work as given (exit status 2)."""


def _has_layers(script: str) -> bool:
    """Whether the script itself has mutable layers (reports alone need no choice)."""
    try:
        with open(script, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    if not has_annotations(data):
        return False
    path = os.path.abspath(script)
    try:
        return bool(compile_annotated(path, module_name(path), data)[1])
    except AnnotationError:  # reported when the script runs
        return False


def main(
    script: str,
    args: Sequence[str] = (),
    choice: str | None = None,
    sample: str | None = None,
    seed: int | None = None,
    packages: Sequence[str] = (),
) -> int:
    """`nas-annotate run`: set up the choice, run the script, return its exit status."""
    from . import runtime

    if tuple(args[:1]) == ("--",):
        args = args[1:]
    try:
        if choice or sample:
            runtime.set_choice(choice, sample=sample, seed=seed)
        else:
            runtime.reset()
    except ChoiceError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if not (choice or sample or os.environ.get(runtime.ENV) or os.environ.get("NNI_PLATFORM")) and _has_layers(script):
        raise UsageProblem(
            f"{script} has annotations but no choice was given: use --choice FILE (see `nas-annotate extract {script}` "
            f"for the keys), set {runtime.ENV}, or try --sample first|random"
        )
    status = run_script(script, args, packages)
    if sample and runtime.decisions():
        import json

        print(f"nas-annotate: choice used: {json.dumps(runtime.decisions())}", file=sys.stderr)
    sys.stdout.flush()
    return status

"""Child processes of a script under `nas-annotate run` that multiprocessing starts fresh
(`spawn`, the default on macOS and Windows; `forkserver`): they re-import the script as
`__mp_main__`, and must get it expanded, with the parent's choice and its decisions so far.

multiprocessing sends each such child a dictionary of "preparation data" before it imports the
main script.  The parent adds one entry to it whose unpickling, in the child, restores the
runtime's state, installs the import hook and has the script imported in its run-time form.
`multiprocessing.spawn` is patched only once the script imports it (importing it here would
cost a warm `run` 15 ms).
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
import types
from typing import Any, Callable, Sequence

_SPAWN = "multiprocessing.spawn"
_KEY = "nas_annotate"


class _Setup:
    """Pickled into the preparation data; unpickling it in the child calls `_restore`."""

    def __init__(self, state: tuple[Any, ...]) -> None:
        self.state = state

    def __reduce__(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        return _restore, (self.state,)


class _PatchingLoader:
    """Runs the real loader of `multiprocessing.spawn`, then `patch` on the module."""

    def __init__(self, loader: Any, patch: Callable[[types.ModuleType], None]) -> None:
        self.loader, self.patch = loader, patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        self.patch(module)


class _SpawnFinder:
    """Patches `multiprocessing.spawn` when it is first imported."""

    def __init__(self, patch: Callable[[types.ModuleType], None]) -> None:
        self.patch = patch

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None):
        if fullname != _SPAWN:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, self.patch)  # type: ignore[assignment]
        return spec


def pass_on(script: str, roots: Sequence[str], packages: Sequence[str]) -> Callable[[], None]:
    """In the parent: have fresh children of multiprocessing run `script` expanded, with the
    runtime's state as it is when each child starts.  Returns the undo."""
    patched: list[tuple[types.ModuleType, Any]] = []

    def patch(spawn: types.ModuleType) -> None:
        original = spawn.get_preparation_data

        def get_preparation_data(name: str) -> dict[str, Any]:
            from . import runtime

            data = original(name)
            if data.get("init_main_from_path") == os.path.normpath(script):
                data[_KEY] = _Setup((script, tuple(roots), tuple(packages), runtime.state()))
            return data

        spawn.get_preparation_data = get_preparation_data  # type: ignore[attr-defined]
        patched.append((spawn, original))

    finder = _SpawnFinder(patch)
    if _SPAWN in sys.modules:
        patch(sys.modules[_SPAWN])
    else:
        sys.meta_path.insert(0, finder)

    def undo() -> None:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        for spawn, original in patched:
            spawn.get_preparation_data = original  # type: ignore[attr-defined]

    return undo


def _restore(state: tuple[Any, ...]) -> None:
    """In the child, before it imports the main script: the parent's runtime state and import
    hook, and the script imported in its run-time form."""
    import multiprocessing.spawn as spawn

    from . import runtime
    from .importhook import install_import_hook, script_code

    script, roots, packages, runtime_state = state
    runtime.restore(runtime_state)
    install_import_hook(packages=packages, roots=roots)
    original = spawn._fixup_main_from_path  # type: ignore[attr-defined]

    def fixup_main_from_path(main_path: str) -> None:
        if main_path != script or getattr(sys.modules["__main__"], "__file__", None) == main_path:
            original(main_path)
            return
        spawn.old_main_modules.append(sys.modules["__main__"])  # type: ignore[attr-defined]
        main = types.ModuleType("__mp_main__")
        main.__dict__.update({"__file__": main_path, "__builtins__": __builtins__, "__cached__": None})
        sys.modules["__main__"] = sys.modules["__mp_main__"] = main
        with open(main_path, "rb") as handle:
            exec(script_code(main_path, handle.read()), main.__dict__)

    spawn._fixup_main_from_path = fixup_main_from_path  # type: ignore[attr-defined]

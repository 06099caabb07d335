"""nas_annotate: compile `@nni.mutable_layer` annotations into search spaces and plain Python.

The public API is imported lazily, so `import nas_annotate` stays cheap:
`install_import_hook(...)` (see `nas_annotate.importhook`), `set_choice(...)`
(see `nas_annotate.runtime`) and `report(value, step=None)` (see `nas_annotate.reporting`).
"""

from __future__ import annotations

from typing import Any

from .version import __version__

__all__ = ["__version__", "install_import_hook", "report", "set_choice"]


def __getattr__(name: str) -> Any:
    if name == "install_import_hook":
        from .importhook import install_import_hook

        return install_import_hook
    if name == "set_choice":
        from .runtime import set_choice

        return set_choice
    if name == "report":
        from .reporting import report

        return report
    raise AttributeError(f"module 'nas_annotate' has no attribute {name!r}")

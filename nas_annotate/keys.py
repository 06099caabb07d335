"""Module names for keys: the dotted name Python imports a file under (docs/language.md, "Keys")."""

from __future__ import annotations

import os


def module_name(path: str | os.PathLike[str]) -> str:
    """`proj/pkg/model.py` is `pkg.model` when `proj/pkg` holds `__init__.py`; a script keeps its stem."""
    full = os.path.abspath(os.fspath(path))
    directory, filename = os.path.split(full)
    stem = filename[:-3] if filename.endswith(".py") else os.path.splitext(filename)[0]
    parts = [] if stem == "__init__" else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        if not package:
            break
        parts.insert(0, package)
    return ".".join(parts) or stem

"""The module-level names that pruning must keep because code elsewhere may read them: those
a module exports in `__all__`, and those the other modules of the given paths import."""

from __future__ import annotations

import ast
import os
import warnings
from typing import Mapping

ALL: frozenset[str] = frozenset({"*"})  # every module-level name (compared by identity)


def _strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def exported_names(tree: ast.Module) -> frozenset[str]:
    """The names of `__all__` (written as lists or tuples of strings, assigned, added or
    extended); ALL when it is computed some other way."""
    names: set[str] = set()
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        for name in ("body", "orelse", "finalbody"):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.extend(s for s in getattr(node, name, ()) if isinstance(s, ast.stmt))
        stack.extend(s for h in getattr(node, "handlers", ()) for s in h.body)
        value = None
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = node.value
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "__all__":
                value = node.value.args[0] if func.attr in ("extend", "append") and node.value.args else None
                if func.attr == "append" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    names.add(value.value)
                    continue
                if value is None:
                    return ALL
        if value is not None:
            listed = _strings(value)
            if listed is None:
                return ALL
            names.update(listed)
    return frozenset(names)


def _tree(data: bytes, path: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(data, filename=path)
    except (SyntaxError, ValueError):
        return None


def imported_by_others(datas: Mapping[str, bytes], modules: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """For each module of `modules` (path -> module name), the names the other modules import
    from it: `from m import a`, `m.a` after `import m` (or `import m as x`, `from p import m`);
    ALL when one imports `*` or uses the module itself as a value."""
    known = set(modules.values())
    found: dict[str, set[str]] = {}
    everything: set[str] = set()
    for path, data in datas.items():
        tree = _tree(data, path)
        if tree is None:
            continue
        me = modules[path]
        package = me.split(".") if os.path.basename(path) == "__init__.py" else me.split(".")[:-1]
        aliases: dict[str, str] = {}  # a name (or dotted prefix) in this module -> the module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    if node.level - 1 > len(package):
                        continue
                    base = package[: len(package) - (node.level - 1)] + ([node.module] if node.module else [])
                    target = ".".join(base)
                else:
                    target = node.module or ""
                for alias in node.names:
                    if alias.name == "*":
                        everything.add(target)
                        continue
                    found.setdefault(target, set()).add(alias.name)
                    if f"{target}.{alias.name}" in known:
                        aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name] = alias.name
        if not aliases:
            continue
        _attributes(tree, aliases, known - {me}, found, everything)
        _in_text(data.decode("utf-8", "replace"), aliases, known - {me}, found)
    result = {}
    for module in known:
        if module in everything:
            result[module] = ALL
        else:
            result[module] = frozenset(found.get(module, ()))
    return result


def _dotted(node: ast.expr) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _attributes(tree: ast.Module, aliases: dict[str, str], known: set[str], found: dict[str, set[str]], everything: set[str]) -> None:
    """Record `alias.name` reads of the modules `aliases` stand for; a module used as a value
    (passed, returned, `getattr`'d) exports everything."""
    prefixes = {tuple(alias.split(".")): module for alias, module in aliases.items() if module in known}
    if not prefixes:
        return
    heads = {prefix[0] for prefix in prefixes}
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and node.id in heads and isinstance(node.ctx, ast.Load)):
            continue
        top: ast.expr = node
        while isinstance(parents.get(id(top)), ast.Attribute) and parents[id(top)].value is top:  # type: ignore[attr-defined]
            top = parents[id(top)]  # type: ignore[assignment]
        parts = _dotted(top) or [node.id]
        for length in range(len(parts), 0, -1):
            module = prefixes.get(tuple(parts[:length]))
            if module is None:
                continue
            if length < len(parts):
                found.setdefault(module, set()).add(parts[length])
            else:
                everything.add(module)
            break


def _in_text(text: str, aliases: dict[str, str], known: set[str], found: dict[str, set[str]]) -> None:
    """`alias.name` anywhere in the text, annotations included: a chosen candidate
    `ops.conv` in another module's annotation keeps `conv`."""
    import re

    for alias, module in aliases.items():
        if module in known:
            for match in re.finditer(r"(?<![\w.])" + re.escape(alias) + r"\.([A-Za-z_]\w*)", text):
                found.setdefault(module, set()).add(match.group(1))

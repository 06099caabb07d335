"""Which names pruning may remove a definition of, from the file's `ast` alone (so that freeze
knows before libcst parses it whether pruning may run)."""

from __future__ import annotations

import ast

COMPOUND = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While,
    ast.With, ast.AsyncWith, ast.Try, ast.Match,
) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


def blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement blocks of a compound statement, clause by clause."""
    found = [getattr(node, name, None) or [] for name in ("body", "orelse", "finalbody")]
    found += [handler.body for handler in getattr(node, "handlers", ())]
    found += [case.body for case in getattr(node, "cases", ())]
    return found


def prunable_names(tree: ast.Module) -> set[str]:
    """Names that a definition pruning may remove binds: bound once at module level by a
    function, class, import or `NAME = value`, or by a function, class or import anywhere else."""
    counts: dict[str, int] = {}
    definitions: set[str] = set()
    inner: set[str] = set()

    def bind(name: str, top: bool, definition: bool) -> None:
        if top:
            counts[name] = counts.get(name, 0) + 1
            if definition:
                definitions.add(name)
        elif definition:
            inner.add(name)

    def visit(body: list[ast.stmt], top: bool) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bind((alias.asname or alias.name).partition(".")[0], top, True)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bind(node.name, top, True)
            elif top and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in stored(target):
                        bind(name, True, False)
                single = len(targets) == 1 and isinstance(targets[0], ast.Name)
                if single and not isinstance(node, ast.AugAssign) and getattr(node, "value", None) is not None:
                    definitions.add(targets[0].id)  # type: ignore[union-attr]
            elif top:
                for target in compound_targets(node):
                    for name in stored(target):
                        bind(name, True, False)
            if isinstance(node, COMPOUND):
                for block in blocks(node):
                    visit(block, False)

    visit(tree.body, True)
    return ({name for name, count in counts.items() if count == 1} & definitions) | inner


def stored(target: ast.expr) -> list[str]:
    """The names an assignment target binds (`a`, `a, (b, *c)`); none for `x.a` or `x[0]`."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in stored(element)]
    if isinstance(target, ast.Starred):
        return stored(target.value)
    return []


def compound_targets(node: ast.stmt) -> list[ast.expr]:
    """The targets a compound statement binds in its header (`for x in`, `with ... as x`)."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []

"""Pruning: the definitions that only lost candidates used go too (libcst's scope analysis).

A definition is pruned when all of these hold:

- a lost part of an annotation (a candidate, an input, an option the choice did not take, a
  dropped report's value) or code the frozen form drops (a replaced value, a pruned
  definition's body) reads its name, resolved in the scope where it was read;
- after freezing, nothing reads it any more: no access outside code that goes, and no name
  in the new code (the chosen statements and values), other than in its own body;
- it is a function, a class, an import, or a module-level assignment `NAME = value`, the only
  binding of its name in its scope (never a class attribute, which `self.x` may read);
- defining it does nothing else: no call in its decorators, default values, annotations, base
  classes or value; a class body holds only such definitions, docstrings and `pass`;
- it is not exported (`__all__`, a dunder name), not imported by another module of the given
  paths, and its module does not reach names dynamically (`globals()`, `locals()`, `vars()`,
  `eval`, `exec`);
- it holds no annotation or other edit.

Removing one definition can leave another unused; this repeats until nothing changes.
A file whose lost parts name nothing it defines is not scope-analysed at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator

import libcst as cst
from libcst.metadata import Assignment, GlobalScope, FunctionScope, ImportAssignment, MetadataWrapper, ScopeProvider

from .bindings import prunable_names
from .exports import ALL
from .places import Site
from .plan import names
from .rewrite import Lines

if TYPE_CHECKING:
    from .plan import Plan

_DYNAMIC = {"globals", "locals", "vars", "eval", "exec"}
_IMPURE = (cst.Call, cst.Await, cst.Yield, cst.NamedExpr)


def _nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _pure(nodes: Iterable[cst.CSTNode | None]) -> bool:
    """Whether evaluating these expressions can do nothing but compute a value (no call)."""
    return not any(isinstance(inner, _IMPURE) for node in nodes if node is not None for inner in _nodes(node))


def _pure_function(node: cst.FunctionDef) -> bool:
    params = node.params
    parts: list[cst.CSTNode | None] = [d.decorator for d in node.decorators]
    parts.append(node.returns)
    everything = [*params.posonly_params, *params.params, *params.kwonly_params]
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            everything.append(extra)
    for param in everything:
        parts += [param.default, param.annotation]
    return _pure(parts)


def _pure_class(node: cst.ClassDef) -> bool:
    parts: list[cst.CSTNode | None] = [d.decorator for d in node.decorators]
    parts += [arg.value for arg in (*node.bases, *node.keywords)]
    if not _pure(parts):
        return False
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else [cst.SimpleStatementLine(node.body.body)]  # type: ignore[union-attr]
    for statement in body:
        if isinstance(statement, cst.FunctionDef):
            ok = _pure_function(statement)
        elif isinstance(statement, cst.ClassDef):
            ok = _pure_class(statement)
        elif isinstance(statement, cst.SimpleStatementLine):
            ok = all(_pure_small(small) for small in statement.body)
        else:
            ok = False
        if not ok:
            return False
    return True


def _pure_small(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Pass):
        return True
    if isinstance(small, cst.Expr):
        return isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis))
    if isinstance(small, (cst.Assign, cst.AnnAssign)):
        return _pure([small.value, getattr(small, "annotation", None)])
    return False


class _Pruner:
    def __init__(self, plan: Plan, protected: frozenset[str]) -> None:
        self.plan = plan
        self.protected = protected
        self.wrapper = MetadataWrapper(plan.module, unsafe_skip_copy=True)
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.referents: dict[int, set] = {}
        for scope in set(self.scopes.values()):
            if scope is None:
                continue
            for access in scope.accesses:
                self.referents.setdefault(id(access.node), set()).update(access.referents)
        self.dead: set[int] = set()
        for node in plan.dead:
            self.dead.update(id(inner) for inner in _nodes(node))
        self.edited = {id(node) for node in plan.edited} | set(plan.visit_extra) | set(plan.replace)
        for node in plan.edited:
            self.edited.update(id(n) for n in plan.places.ancestors(node))
        self.own: dict[int, set[int]] = {}

    def dynamic(self) -> bool:
        """Whether the module reads names in ways scope analysis cannot follow."""
        return any(
            access.node.value in _DYNAMIC
            for scope in set(self.scopes.values())
            if scope is not None
            for access in scope.accesses
            if isinstance(access.node, cst.Name) and not [r for r in access.referents if isinstance(r, Assignment)]
        )

    def resolve(self, references: Iterable[tuple[cst.CSTNode, str]]) -> Iterator[Assignment]:
        """The bindings the names of each (anchor, expression text) resolve to, in the anchor's scope."""
        for anchor, text in references:
            scope = self.scopes.get(anchor)
            if scope is None:
                continue
            for name in names(text):
                for binding in scope[name]:
                    if isinstance(binding, Assignment):
                        yield binding

    def statement(self, binding: Assignment) -> tuple[Site, cst.ImportAlias | None] | None:
        """The statement defining `binding`, when pruning may remove it (and the alias of an import)."""
        scope = binding.scope
        if not isinstance(scope, (GlobalScope, FunctionScope)) or len(scope.assignments[binding.name]) != 1:
            return None
        if isinstance(scope, GlobalScope) and (self.protected is ALL or binding.name in self.protected or binding.name.startswith("__")):
            return None
        node = binding.node
        places = self.plan.places
        if isinstance(binding, ImportAssignment):
            site = places.cst_sites.get(id(node))
            alias = _alias(node, binding.name)  # type: ignore[arg-type]
            return (site, alias) if site is not None and alias is not None else None
        if isinstance(node, cst.FunctionDef):
            return (places.cst_sites[id(node)], None) if id(node) in places.cst_sites and _pure_function(node) else None
        if isinstance(node, cst.ClassDef):
            return (places.cst_sites[id(node)], None) if id(node) in places.cst_sites and _pure_class(node) else None
        if isinstance(node, cst.Name) and isinstance(scope, GlobalScope):
            site = places.assignments.get(id(node))
            return (site, None) if site is not None and _pure([site.node.value]) else None  # type: ignore[attr-defined]
        return None

    def own_nodes(self, node: cst.CSTNode) -> set[int]:
        if id(node) not in self.own:
            self.own[id(node)] = {id(inner) for inner in _nodes(node)}
        return self.own[id(node)]

    def run(self) -> list[tuple[Site, cst.ImportAlias | None]]:
        if self.dynamic():
            return []
        virtual: dict[Assignment, int] = {}
        for binding in self.resolve(self.plan.kept):
            virtual[binding] = virtual.get(binding, 0) + 1
        candidates = set(self.resolve(self.plan.lost))
        for key in self.dead:
            candidates.update(self.referents.get(key, ()))
        removed: list[tuple[Site, cst.ImportAlias | None]] = []
        gone: set[Assignment] = set()
        changed = True
        while changed:
            changed = False
            for binding in list(candidates):
                if binding in gone or virtual.get(binding):
                    continue
                found = self.statement(binding)
                if found is None:
                    continue
                site, alias = found
                target = alias if alias is not None else site.node
                line = site.owner.body[site.index] if not isinstance(site.owner, cst.SimpleStatementSuite) else site.owner
                if id(site.node) in self.edited or id(line) in self.edited:
                    continue
                own = self.own_nodes(target)
                if any(id(access.node) not in self.dead and id(access.node) not in own for access in binding.references):
                    continue
                gone.add(binding)
                removed.append(found)
                fresh = own - self.dead
                self.dead |= own
                for key in fresh:
                    candidates.update(self.referents.get(key, ()))
                changed = True
        return removed


def _alias(node: cst.Import | cst.ImportFrom, name: str) -> cst.ImportAlias | None:
    """The alias of an import that binds `name` (not `from __future__`, not `*`, not a dotted
    `import a.b`, which binds `a` for every `a.x`)."""
    if isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return None
        module = node.module
        if isinstance(module, cst.Name) and module.value == "__future__" and not node.relative:
            return None
    for alias in node.names:  # type: ignore[union-attr]
        bound = alias.evaluated_alias or alias.evaluated_name
        if bound == name and "." not in bound and (alias.asname is not None or "." not in alias.evaluated_name):
            return alias
    return None


def prune(plan: Plan, protected: frozenset[str], definable: set[str] | None = None) -> None:
    """Remove from `plan`'s output the definitions only its lost parts used (`definable`: the
    file's `bindings.prunable_names`, when known)."""
    if definable is None:
        definable = prunable_names(plan.places.tree)
    if not definable & plan.words:  # nothing that goes names a definition
        return
    plan.references()
    removed = _Pruner(plan, protected).run()
    imports: dict[int, tuple[Site, list[cst.ImportAlias]]] = {}
    for site, alias in removed:
        if alias is None:
            _drop(plan, site)
        else:
            imports.setdefault(id(site.node), (site, []))[1].append(alias)
    for site, aliases in imports.values():
        node = site.node
        left = [alias for alias in node.names if all(alias is not gone for gone in aliases)]  # type: ignore[attr-defined]
        if not left:
            _drop(plan, site)
            continue
        last = node.names[-1]  # type: ignore[attr-defined]
        if left[-1] is not last:
            left[-1] = left[-1].with_changes(comma=last.comma)
        replacement = node.with_changes(names=left)
        plan.replace[id(node)] = lambda updated, new=replacement: new
        line = site.owner.body[site.index] if not isinstance(site.owner, cst.SimpleStatementSuite) else site.owner
        plan.edited.append(line)
        plan.visit_extra.add(id(line))


def _drop(plan: Plan, site: Site) -> None:
    block = plan.block(site.owner)
    if site.small is None:
        block.pruned.add(site.index)
    else:
        block.replace(site, Lines([], pruned=True))

"""The search space as Optuna sees it: which files form it, and how a choice is encoded.

Every layer is a categorical parameter `<key>:layer` over its candidate labels.  Its inputs
are one categorical `<key>:inputs` over every subset with a size in `input_num` (fed in the
order the annotation lists them), so whatever a sampler proposes is a valid choice; when a
layer has more than `MAX_SUBSETS` of them, one yes/no parameter per candidate instead, with
the count brought into range by taking the first candidates or dropping the last ones.

A hyperparameter (`@nni.variable`, `@nni.function_choice`) is one parameter named by its key,
with the matching Optuna distribution: categorical for `choice` and function choices, an
integer range for `randint` (upper bound excluded, as in NNI), a float range for `uniform`
and `loguniform` (log scale) and their quantised forms (then rounded as NNI rounds,
`clip(round(x / q) * q, low, high)`).  Optuna has no normal distribution: `normal(mu, sigma)`
is sampled as a quantile `<key>:quantile` in (0, 1) mapped through the normal's inverse
distribution function, so random sampling draws exactly the normal and model-based samplers
see a bounded parameter; `lognormal` is its exponential; the q-forms are then rounded.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import math
import os
from typing import Any, NamedTuple

from statistics import NormalDist

from ..choice import Param, Shape, quantise
from ..diagnostics import CompileError, Diagnostic

MAX_SUBSETS = 1024
MAX_GRID = 10_000  # values of one numeric hyperparameter a grid may list
QUANTILE = (1e-6, 1 - 1e-6)
NORMALS = ("normal", "qnormal", "lognormal", "qlognormal")


class LayerSpace(NamedTuple):
    """One layer's parameters: its shape, and its input subsets (None: one flag per input)."""

    shape: Shape
    subsets: tuple[tuple[int, ...], ...] | None

    @property
    def layer_param(self) -> str:
        return f"{self.shape.key}:layer"

    @property
    def inputs_param(self) -> str:
        return f"{self.shape.key}:inputs"

    def flag_param(self, index: int) -> str:
        return f"{self.shape.key}:input:{self.shape.input_labels[index]}"

    def subset_label(self, subset: tuple[int, ...]) -> str:
        return json.dumps([self.shape.input_labels[i] for i in subset])


def _subsets(shape: Shape) -> tuple[tuple[int, ...], ...] | None:
    count = len(shape.input_labels)
    lo, hi = shape.input_num
    total = sum(math.comb(count, k) for k in range(lo, hi + 1))
    if total > MAX_SUBSETS:
        return None
    return tuple(subset for k in range(lo, hi + 1) for subset in itertools.combinations(range(count), k))


class NotFinite(ValueError):
    """A space with a continuous hyperparameter has no grid."""


class SearchSpace:
    """Optuna distributions for a set of layers and hyperparameters, and the way back from
    parameters to a choice."""

    def __init__(self, shapes: list[Shape], params: list[Param] = (), document: dict[str, Any] | None = None) -> None:  # type: ignore[assignment]
        self.layers = [LayerSpace(shape, _subsets(shape)) for shape in shapes]
        self.params = list(params)
        self.document = document or {}  # what `extract` prints

    def _layer_grid(self) -> dict[str, list[Any]]:
        grid: dict[str, list[Any]] = {}
        for layer in self.layers:
            grid[layer.layer_param] = list(layer.shape.choice_labels)
            if not layer.shape.input_labels or layer.shape.input_num == (0, 0):
                continue
            if layer.subsets is not None:
                grid[layer.inputs_param] = [layer.subset_label(s) for s in layer.subsets]
            else:
                for index in range(len(layer.shape.input_labels)):
                    grid[layer.flag_param(index)] = [False, True]
        return grid

    def grid(self) -> dict[str, list[Any]]:
        """Every parameter's values, for the grid sampler; NotFinite when a hyperparameter is continuous."""
        grid = self._layer_grid()
        for param in self.params:
            values = _values(param)
            if values is None:
                raise NotFinite(f"'{param.key}' ({param.dist}) takes infinitely many values: a grid needs choice, randint or q-uniform ones")
            grid[param.key] = values
        return grid

    def distributions(self) -> dict[str, Any]:
        from optuna.distributions import CategoricalDistribution

        found: dict[str, Any] = {name: CategoricalDistribution(values) for name, values in self._layer_grid().items()}
        for param in self.params:
            found[_param_name(param)] = _distribution(param)
        return found

    def size(self) -> int | None:
        """How many distinct choices the space holds (None: infinitely many)."""
        total = 1
        for layer in self.layers:
            lo, hi = layer.shape.input_num
            subsets = sum(math.comb(len(layer.shape.input_labels), k) for k in range(lo, hi + 1))
            total *= len(layer.shape.choice_labels) * max(subsets, 1)
        for param in self.params:
            values = _values(param)
            if values is None:
                return None
            total *= len(values)
        return total

    def fingerprint(self) -> str:
        """A short hash of the parameters and their distributions: a study only resumes on the same space."""
        from optuna.distributions import distribution_to_json

        text = json.dumps(sorted((name, distribution_to_json(d)) for name, d in self.distributions().items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def choice(self, params: dict[str, Any]) -> dict[str, Any]:
        """The choice document (labels and values) that `params` stands for."""
        document: dict[str, Any] = {}
        for layer in self.layers:
            shape = layer.shape
            inputs: tuple[int, ...] = ()
            if layer.inputs_param in params and layer.subsets is not None:
                labels = json.loads(params[layer.inputs_param])
                inputs = tuple(shape.input_labels.index(label) for label in labels)
            elif layer.subsets is None:
                inputs = _in_range([params.get(layer.flag_param(i)) is True for i in range(len(shape.input_labels))], shape)
            document[shape.key] = {"layer": params[layer.layer_param], "inputs": [shape.input_labels[i] for i in inputs]}
        for param in self.params:
            document[param.key] = _decode(param, params[_param_name(param)])
        return document


    def params_of(self, choice: dict[str, Any]) -> dict[str, Any]:
        """The parameters that stand for `choice` (labels, and every hyperparameter's value):
        the inverse of `choice()`, for trials whose architecture is given (one-shot retraining)."""
        params: dict[str, Any] = {}
        for layer in self.layers:
            shape = layer.shape
            entry = choice[shape.key]
            params[layer.layer_param] = entry["layer"]
            chosen = tuple(sorted(shape.input_labels.index(label) for label in entry.get("inputs", [])))
            if not shape.input_labels or shape.input_num == (0, 0):
                continue
            if layer.subsets is not None:
                params[layer.inputs_param] = layer.subset_label(chosen)
            else:
                for index in range(len(shape.input_labels)):
                    params[layer.flag_param(index)] = index in chosen
        for param in self.params:
            params[_param_name(param)] = _encode(param, choice[param.key])
        return params


def _encode(param: Param, value: Any) -> Any:
    """The sampled value that `_decode` turns into `value`."""
    if param.dist not in NORMALS:
        return value
    mu, sigma = float(param.args[0]), float(param.args[1])
    if param.dist in ("lognormal", "qlognormal"):
        value = math.log(value)
    return min(max(NormalDist(mu, sigma).cdf(float(value)), QUANTILE[0]), QUANTILE[1])


def _param_name(param: Param) -> str:
    return f"{param.key}:quantile" if param.dist in NORMALS else param.key


def _values(param: Param) -> list[Any] | None:
    """A hyperparameter's values when they are finitely many (and at most MAX_GRID), else None."""
    if param.chooses:
        return list(param.args)
    if param.dist == "randint":
        low, high = param.args
        return list(range(int(low), int(high))) if high - low <= MAX_GRID else None
    if param.dist == "quniform":
        low, high, q = param.args
        first, last = math.ceil(low / q - 1e-9), math.floor(high / q + 1e-9)
        if last - first + 1 > MAX_GRID:
            return None
        ends = {quantise("quniform", param.args, low), quantise("quniform", param.args, high)}
        return sorted({quantise("quniform", param.args, k * q) for k in range(first, last + 1)} | ends)
    return None


def _distribution(param: Param) -> Any:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if param.chooses:
        return CategoricalDistribution(list(param.args))
    if param.dist == "randint":
        return IntDistribution(int(param.args[0]), int(param.args[1]) - 1)
    if param.dist in NORMALS:
        return FloatDistribution(*QUANTILE)
    low, high = float(param.args[0]), float(param.args[1])
    return FloatDistribution(low, high, log=param.dist in ("loguniform", "qloguniform"))


def _decode(param: Param, value: Any) -> Any:
    """The choice document's value for the parameter's sampled `value`."""
    if param.chooses or param.dist == "randint":
        return value
    if param.dist in NORMALS:
        mu, sigma = float(param.args[0]), float(param.args[1])
        value = NormalDist(mu, sigma).inv_cdf(value)
        if param.dist in ("lognormal", "qlognormal"):
            value = math.exp(value)
    if param.dist.startswith("q"):
        value = quantise(param.dist, param.args, value)
    return float(value)


def _in_range(flags: list[bool], shape: Shape) -> tuple[int, ...]:
    """The flagged inputs, their count brought into `[lo, hi]`: add the first unflagged, or drop the last."""
    lo, hi = shape.input_num
    chosen = [i for i, flag in enumerate(flags) if flag]
    unflagged = [i for i, flag in enumerate(flags) if not flag]
    chosen.extend(unflagged[: max(lo - len(chosen), 0)])
    return tuple(sorted(chosen)[:hi])


def space_files(script: str) -> list[str]:
    """The script and the modules under its directory that it imports, directly or not."""
    root = os.path.dirname(os.path.abspath(script))
    order = [os.path.abspath(script)]
    seen = set(order)
    for path in order:
        for found in _local_imports(path, root):
            if found not in seen:
                seen.add(found)
                order.append(found)
    return order


def _local_imports(path: str, root: str) -> list[str]:
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), path)
    except (OSError, SyntaxError, ValueError):
        return []
    here = os.path.dirname(path)
    names: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((root, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = root
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = os.path.dirname(base)
            module = node.module or ""
            names.append((base, module))
            names.extend((base, f"{module}.{alias.name}" if module else alias.name) for alias in node.names)
    found = []
    for base, dotted in names:
        if not dotted:
            continue
        candidate = os.path.join(base, *dotted.split("."))
        for path_ in (candidate + ".py", os.path.join(candidate, "__init__.py")):
            if os.path.isfile(path_):
                found.append(os.path.abspath(path_))
    return found


def load_space(script: str, space: tuple[str, ...] = ()) -> SearchSpace:
    """The search space of `script` (or of the files `space` names)."""
    from ..api import analyse_paths
    from ..files import python_files
    from ..space import search_space

    files = python_files(space) if space else space_files(script)
    analyses, diagnostics = analyse_paths(files)
    if diagnostics:
        raise CompileError(diagnostics)
    shapes = [Shape.of(layer) for analysis in analyses for layer in analysis.layers]
    params = [Param.of(param) for analysis in analyses for param in analysis.params]
    if not shapes and not params:
        where = ", ".join(space) if space else script
        raise CompileError([Diagnostic(where, 0, 0, "nothing to search: no mutable layer or hyperparameter annotation")])
    return SearchSpace(shapes, params, search_space(analyses))

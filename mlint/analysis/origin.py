"""Where a name's value comes from: config dicts, names an expression reads, names a block binds.

Cheap, syntactic facts for the async (ML3xx) and configuration (ML4xx) rules: no scope
analysis, only the statements of one function (or the module) and its parameters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from mlint.analysis.imports import ImportTable
from mlint.analysis.modules import walk_statements
from mlint.walker import children as child_nodes

HYPERPARAMETER_WORDS = frozenset(
    {
        "lr",
        "learning_rate",
        "batch_size",
        "train_batch_size",
        "eval_batch_size",
        "micro_batch_size",
        "epochs",
        "num_epochs",
        "max_epochs",
        "n_epochs",
        "weight_decay",
        "dropout",
        "hidden_size",
        "hidden_dim",
        "seed",
        "warmup_steps",
        "warmup_ratio",
        "max_len",
        "max_length",
        "max_seq_len",
        "num_workers",
        "momentum",
        "gradient_accumulation_steps",
        "grad_accum_steps",
        "max_steps",
        "num_layers",
        "n_layers",
        "num_heads",
        "n_heads",
        "embed_dim",
        "label_smoothing",
        "max_grad_norm",
        "clip_grad_norm",
        "optimizer",
        "scheduler",
    }
)
# Parameter names that by convention hold a configuration mapping.
CONFIG_PARAMETER_NAMES = frozenset({"cfg", "config", "hparams", "params"})
# Words of a variable name (split on `_`) that say "this is a configuration".
# Rule triggers: a hyperparameter key as it must appear in a dict literal.
QUOTED_HYPERPARAMETER_WORDS: tuple[str, ...] = tuple(
    f"{quote}{word}{quote}" for word in sorted(HYPERPARAMETER_WORDS) for quote in "\"'"
)
_CONFIG_NAME_WORDS = frozenset(
    {
        "cfg",
        "config",
        "conf",
        "configs",
        "hparams",
        "hyperparams",
        "hyperparameters",
        "hp",
        "hps",
        "params",
        "settings",
        "args",
        "opts",
        "options",
    }
)
# `qualified name -> True when the call reads a file object` for config loaders.
CONFIG_LOADERS: dict[str, bool] = {
    "yaml.safe_load": True,
    "yaml.load": True,
    "yaml.full_load": True,
    "yaml.unsafe_load": True,
    "json.load": True,
    "json.loads": False,
    "tomllib.load": True,
    "tomllib.loads": False,
    "tomli.load": True,
    "tomli.loads": False,
    "toml.load": True,
    "toml.loads": False,
    "omegaconf.OmegaConf.load": True,
}
# Loaders that read many kinds of data, not only configuration: evidence needed.
_GENERIC_LOADERS = frozenset({"json.load", "json.loads"})
_CONFIG_TEXT = re.compile(
    r"config|cfg|conf\b|hparams|hyperparam|settings|\.ya?ml|\.toml", re.IGNORECASE
)


def is_config_name(name: str) -> bool:
    """Whether a variable name reads as a configuration (`train_cfg`, `hparams`, `config`)."""
    words = name.lower().strip("_").split("_")
    return any(word in _CONFIG_NAME_WORDS for word in words)


def string_key(node: cst.BaseExpression) -> str | None:
    """The value of a plain (non-f, non-concatenated) string literal."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def dict_string_keys(node: cst.Dict) -> list[str] | None:
    """The literal string keys of a dict display; ``None`` when any entry is not one."""
    keys: list[str] = []
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return None  # `**other`: keys unknown
        key = string_key(element.key)
        if key is None:
            return None
        keys.append(key)
    return keys


def is_hyperparameter_dict(
    node: cst.Dict, min_keys: int = 3, extra_words: Iterable[str] = ()
) -> bool:
    """At least ``min_keys`` string keys, at least two of them hyperparameter words."""
    keys = dict_string_keys(node)
    if keys is None or len(keys) < min_keys:
        return False
    words = HYPERPARAMETER_WORDS.union(extra_words)
    # Values computed from variables make a keyword-argument bag, not a configuration.
    literal_hyperparameters = sum(
        1
        for key, element in zip(keys, node.elements)
        if key in words and isinstance(element, cst.DictElement) and is_literal(element.value)
    )
    return literal_hyperparameters >= 2


def is_literal(node: cst.BaseExpression) -> bool:
    """A number, a plain string, a bool, ``None``, a negative number, or a list/tuple of them."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(is_literal(e.value) for e in node.elements)
    return False


def loader_name(call: cst.Call, imports: ImportTable) -> str | None:
    """The qualified name of a config loader (`yaml.safe_load`, `json.load`, ...) being called."""
    resolved = imports.resolve(call.func)
    if resolved is None:
        return None
    return resolved.name if resolved.name in CONFIG_LOADERS else None


def names_read(node: cst.CSTNode) -> frozenset[str]:
    """Every name an expression (or statement) reads, not attribute or keyword names."""
    return frozenset(name.value for name in iter_name_nodes(node))


def iter_name_nodes(node: cst.CSTNode) -> Iterator[cst.Name]:
    """``Name`` nodes used as variables: skips `x.attr`, `f(kw=...)`, def/class/import names."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Name):
            yield item
            continue
        if isinstance(item, cst.Attribute):
            stack.append(item.value)
            continue
        if isinstance(item, cst.Arg):
            stack.append(item.value)
            continue
        if isinstance(item, (cst.Import, cst.ImportFrom)):
            continue
        if isinstance(item, (cst.FunctionDef, cst.ClassDef)):
            stack.extend(item.decorators)
            stack.append(item.body)
            if isinstance(item, cst.FunctionDef):
                stack.append(item.params)
            continue
        if isinstance(item, cst.Param):
            if item.default is not None:
                stack.append(item.default)
            continue
        stack.extend(reversed(tuple(child_nodes(item))))


def names_bound(target: cst.BaseExpression) -> frozenset[str]:
    """Names an assignment target binds (`a`, `a, b`, `[a, *b]`); none for `x.y`/`x[i]`."""
    if isinstance(target, cst.Name):
        return frozenset({target.value})
    if isinstance(target, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for element in target.elements:
            out |= names_bound(element.value)
        return frozenset(out)
    if isinstance(target, cst.StarredElement):
        return names_bound(target.value)
    return frozenset()


def statement_bindings(node: cst.CSTNode) -> frozenset[str]:
    """Every name a statement (or block) binds anywhere inside, nested defs excluded."""
    return frozenset(binding_counts(node))


def binding_counts(node: cst.CSTNode) -> Counter[str]:
    """How many times each name is bound inside a statement or block, nested defs excluded."""
    out: Counter[str] = Counter()
    stack: list[cst.CSTNode] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (cst.FunctionDef, cst.ClassDef)):
            out[item.name.value] += 1
            continue
        if isinstance(item, cst.Lambda):
            continue
        if isinstance(item, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor)):
            out.update(names_bound(item.target))
        elif isinstance(item, cst.AsName) and isinstance(item.name, cst.BaseExpression):
            out.update(names_bound(item.name))
        elif isinstance(item, cst.NamedExpr):
            out.update(names_bound(item.target))
        stack.extend(child_nodes(item))
    return out


@dataclass(frozen=True)
class ConfigOrigin:
    """Why a name holds a configuration mapping, and its keys when they are known."""

    kind: str  # "literal" | "loaded" | "parameter"
    node: cst.CSTNode
    keys: frozenset[str] | None = None


def _assignments(body: object) -> Iterator[tuple[str, cst.BaseExpression, cst.CSTNode]]:
    """``(name, value, statement)`` for each single-name assignment in a block."""
    for small in walk_statements(body):
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name):
                yield target.value, small.value, small
        elif (
            isinstance(small, cst.AnnAssign)
            and small.value is not None
            and isinstance(small.target, cst.Name)
        ):
            yield small.target.value, small.value, small


def config_origins(
    scope: cst.FunctionDef | cst.Module, imports: ImportTable
) -> dict[str, ConfigOrigin]:
    """Names in one scope that hold a config mapping; any other rebinding removes a name."""
    origins: dict[str, ConfigOrigin] = {}
    rebound: set[str] = set()
    if isinstance(scope, cst.FunctionDef):
        params = scope.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.name.value in CONFIG_PARAMETER_NAMES:
                origins[param.name.value] = ConfigOrigin("parameter", param)
        body: object = scope.body
    else:
        body = scope
    for name, value, statement in _assignments(body):
        origin = _value_origin(name, value, imports)
        if origin is None:
            rebound.add(name)
        elif name not in origins or origins[name].kind == "parameter":
            origins[name] = origin
        else:
            rebound.add(name)  # two config assignments: keys no longer certain
    counts = binding_counts(scope.body if isinstance(scope, cst.FunctionDef) else scope)
    for name, origin in origins.items():
        # Bound again by a loop, `with ... as`, a tuple target: the origin no longer holds.
        if counts[name] > (0 if origin.kind == "parameter" else 1):
            rebound.add(name)
    for name in rebound:
        origins.pop(name, None)
    return origins


def _value_origin(
    name: str, value: cst.BaseExpression, imports: ImportTable
) -> ConfigOrigin | None:
    if isinstance(value, cst.Dict) and is_hyperparameter_dict(value):
        keys = dict_string_keys(value) or []
        return ConfigOrigin("literal", value, frozenset(keys))
    if isinstance(value, cst.Call):
        loader = loader_name(value, imports)
        if loader is not None and (
            loader not in _GENERIC_LOADERS or (is_config_name(name) and CONFIG_LOADERS[loader])
        ):
            return ConfigOrigin("loaded", value)
    return None


def looks_like_config_source(text: str) -> bool:
    """Whether source text (a path, a file variable) mentions a config file."""
    return _CONFIG_TEXT.search(text) is not None


def module_local_name(imports: ImportTable, module: str) -> str | None:
    """The local name under which ``module`` itself is imported (`asyncio`, `aio`)."""
    for local, qualified in imports.names.items():
        if qualified == module:
            return local
    return None

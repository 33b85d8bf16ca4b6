"""Pillar 4: typed configuration (ML4xx)."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.analysis.origin import (
    QUOTED_HYPERPARAMETER_WORDS,
    ConfigOrigin,
    config_origins,
    dict_string_keys,
    import_edit,
    is_config_name,
    is_hyperparameter_dict,
    loader_name,
    looks_like_config_source,
    module_local_name,
    statement_bindings,
    string_key,
)
from mlint.rule import Rule, register
from mlint.types import Applicability, Edit, Fix, FixAvailability
from mlint.walker import children as child_nodes

# Libraries whose API takes a plain dict of parameters: a dict made for them is fine.
_DICT_CONSUMERS = frozenset(
    {
        "xgboost.train",
        "xgboost.cv",
        "lightgbm.train",
        "lightgbm.cv",
        "catboost.cv",
        "sklearn.model_selection.GridSearchCV",
        "sklearn.model_selection.RandomizedSearchCV",
        "sklearn.model_selection.ParameterGrid",
        "optuna.create_study",
        "wandb.init",
        "mlflow.log_params",
    }
)
# Calls that turn a mapping into a typed object: after them the keys are validated.
_VALIDATING_METHODS = frozenset(
    {
        "model_validate",
        "parse_obj",
        "from_dict",
        "structured",
        "validate",
        "validate_python",
        "create",
        "merge",
        "from_mapping",
    }
)
_CONFIG_WORD_CLASS = {
    "cfg": "Config",
    "conf": "Config",
    "config": "Config",
    "hparams": "HParams",
    "hp": "HParams",
    "hps": "HParams",
    "hyperparams": "HParams",
    "params": "Params",
}
_LITERAL_TYPES = {cst.Integer: "int", cst.Float: "float", cst.SimpleString: "str"}


_DEPTH = 8  # ancestors kept per use: enough for `cfg["a"]["b"]["c"]` chains


@dataclass(frozen=True)
class _Use:
    """One occurrence of a name, with its nearest ancestors (innermost last)."""

    name: cst.Name
    ancestors: tuple[cst.CSTNode, ...]

    @property
    def parent(self) -> cst.CSTNode | None:
        return self.ancestors[-1] if self.ancestors else None

    @property
    def grandparent(self) -> cst.CSTNode | None:
        return self.ancestors[-2] if len(self.ancestors) > 1 else None


def _name_uses(scope: cst.CSTNode, name: str) -> Iterator[_Use]:
    """Every occurrence of ``name`` as a variable in ``scope`` (bindings included)."""
    stack: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = [(scope, ())]
    while stack:
        node, ancestors = stack.pop()
        if isinstance(node, cst.Name):
            if node.value == name:
                yield _Use(node, ancestors)
            continue
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        if isinstance(node, cst.Attribute):
            children: list[cst.CSTNode] = [node.value]
        elif isinstance(node, cst.Arg):
            children = [node.value]
        elif isinstance(node, cst.Param):
            children = [c for c in (node.default, node.annotation) if c is not None]
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            children = [c for c in child_nodes(node) if c is not node.name]
        else:
            children = list(child_nodes(node))
        inner = (*ancestors[-_DEPTH + 1 :], node)
        stack.extend((child, inner) for child in reversed(children))


def _literal_key_read(use: _Use) -> str | None:
    """The key of ``name["key"]`` used as a value (not assigned or deleted), else ``None``."""
    sub = use.parent
    if not (isinstance(sub, cst.Subscript) and sub.value is use.name and len(sub.slice) == 1):
        return None
    index = sub.slice[0].slice
    if not isinstance(index, cst.Index):
        return None
    if isinstance(use.grandparent, (cst.AssignTarget, cst.Del)):
        return None
    if isinstance(use.grandparent, (cst.AugAssign, cst.AnnAssign)) and (
        use.grandparent.target is sub
    ):
        return None
    return string_key(index.value)


def _get_call(call: cst.Call) -> tuple[str, str, cst.Arg | None] | None:
    """``(receiver, key, default)`` of ``receiver.get("key"[, default])``, else ``None``."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "get"):
        return None
    if not isinstance(func.value, cst.Name) or not 1 <= len(call.args) <= 2:
        return None
    if any(arg.star for arg in call.args) or call.args[0].keyword is not None:
        return None
    key = string_key(call.args[0].value)
    if key is None:
        return None
    return func.value.value, key, call.args[1] if len(call.args) == 2 else None


def _is_absent_marker(node: cst.BaseExpression) -> bool:
    """``None`` or an empty container: a default that says "missing", not a value."""
    if isinstance(node, cst.Name):
        return node.value == "None"
    if isinstance(node, (cst.Dict, cst.List, cst.Tuple)):
        return not node.elements
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in ("dict", "list", "tuple")
        and not node.args
    )


class _ScopedOrigins:
    """Config origins per scope (function or module), computed once per scope."""

    def __init__(self, rule: Rule) -> None:
        self._rule = rule
        self._cache: dict[int, dict[str, ConfigOrigin]] = {}

    def scope(self) -> cst.FunctionDef | cst.Module:
        function = self._rule.context.enclosing(cst.FunctionDef)
        return function if isinstance(function, cst.FunctionDef) else self._rule.context.module

    def origins(self) -> dict[str, ConfigOrigin]:
        """Names holding a config mapping at the current node: local ones, then module ones."""
        ctx = self._rule.context
        scope = self.scope()
        key = id(scope)
        if key not in self._cache:
            found = config_origins(scope, ctx.imports)
            if isinstance(scope, cst.FunctionDef):
                module = self._module_origins()
                shadowed = statement_bindings(scope.body) | _parameter_names(scope)
                for name, origin in module.items():
                    if name not in shadowed and name not in found:
                        found[name] = origin
            self._cache[key] = found
        return self._cache[key]

    def _module_origins(self) -> dict[str, ConfigOrigin]:
        module = self._rule.context.module
        key = id(module)
        if key not in self._cache:
            self._cache[key] = config_origins(module, self._rule.context.imports)
        return self._cache[key]


def _parameter_names(function: cst.FunctionDef) -> frozenset[str]:
    params = function.params
    every = (*params.posonly_params, *params.params, *params.kwonly_params)
    names = {p.name.value for p in every}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return frozenset(names)


@dataclass(frozen=True)
class HyperparameterDictOptions:
    """Options of ML401 (`[tool.mlint.rules.ML401]`, keys in kebab-case)."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    min_keys: int = field(
        default=3, metadata={"description": "string keys a dict needs to be reported (>= 2)"}
    )
    extra_hyperparameter_words: tuple[str, ...] = field(
        default=(), metadata={"description": "more key names that count as hyperparameters"}
    )

    def __post_init__(self) -> None:
        if self.min_keys < 2:
            raise ValueError("min-keys must be at least 2")


@register
class HyperparameterDict(Rule):
    """## What it does
    Checks for a dict literal of hyperparameters (at least three string keys, two of them
    words like `lr`, `batch_size`, `epochs`, `dropout`, `seed`) bound to a config-like name
    (`config`, `cfg`, `hparams`, `train_params`, ...).

    ## Why is this bad?
    A dict accepts any key and any value: `cfg["learnin_rate"]` is a `KeyError` at step
    10,000, `cfg.get("lr", 1e-3)` silently trains with the wrong value, and nothing documents
    which keys exist or what type they have. A frozen dataclass or pydantic model names every
    field, types it, and fails at construction.

    ## Example
    ```python
    config = {"lr": 3e-4, "batch_size": 32, "epochs": 10}
    optimizer = AdamW(params, lr=config["lr"])
    ```

    ## Use instead
    ```python
    @dataclass(frozen=True)
    class Config:
        lr: float = 3e-4
        batch_size: int = 32
        epochs: int = 10


    config = Config()
    optimizer = AdamW(params, lr=config.lr)
    ```

    ## Fix safety
    The fix is unsafe and offered only when every use of the name is a literal-key read
    and every value is a plain literal: it writes a frozen `dataclass` (a pydantic model when
    the file already imports pydantic) and turns `config["lr"]` into `config.lr`. Code in
    other modules that imports the dict and indexes it breaks.

    Not reported: a dict whose only use is one argument to a library that wants a dict
    (`xgb.train`, `lgb.train`, `GridSearchCV`), one `**config` into a call, or one argument
    to a call that validates it (`Config.model_validate(config)`, `SomeConfig(config)`);
    and a dict whose values are mostly lists (a search grid).

    ## Options
    `min-keys` (default 3): the fewest string keys a dict needs to be reported.
    `extra-hyperparameter-words`: more keys that count as hyperparameters. They only count
    in files that mention one of the built-in words (the rule's text prefilter).

    ## Pattern
    `mlint.patterns.config.TrainConfig`
    """

    code = "ML401"
    name = "hyperparameter-dict"
    message = "Hyperparameters in a plain dict; use a frozen dataclass or pydantic model"
    fix_availability = FixAvailability.SOMETIMES
    # A key is a string literal, so the file holds the word in quotes.
    triggers = QUOTED_HYPERPARAMETER_WORDS
    pattern = "mlint.patterns.config.TrainConfig"
    options_model = HyperparameterDictOptions

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._check(node.targets[0].target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._check(node.target, node.value, node)

    def _check(
        self, target: cst.BaseExpression, value: cst.BaseExpression, statement: cst.CSTNode
    ) -> None:
        if not (isinstance(target, cst.Name) and isinstance(value, cst.Dict)):
            return
        name = target.value
        options: HyperparameterDictOptions = self.options
        if not is_config_name(name) or not is_hyperparameter_dict(
            value, options.min_keys, options.extra_hyperparameter_words
        ):
            return
        lists = sum(
            1
            for e in value.elements
            if isinstance(e, cst.DictElement) and isinstance(e.value, (cst.List, cst.ListComp))
        )
        if 2 * lists >= len(value.elements):
            return  # a search grid
        ctx = self.context
        function = ctx.enclosing(cst.FunctionDef)
        scope: cst.CSTNode = function if isinstance(function, cst.FunctionDef) else ctx.module
        uses = [u for u in _name_uses(scope, name) if u.name is not target]
        if len(uses) == 1 and self._handed_over(uses[0]):
            return
        self.report(
            value,
            f"Hyperparameters in the plain dict `{name}`; declare them in a frozen dataclass "
            "or pydantic model",
            fix=self._fix(name, value, statement, uses, scope),
        )

    def _handed_over(self, use: _Use) -> bool:
        """Whether the one use passes the dict to a dict-wanting library or a validator."""
        arg, call = use.parent, use.grandparent
        if not (isinstance(arg, cst.Arg) and isinstance(call, cst.Call)):
            return False
        if arg.star == "**":
            return True
        qualified = self.context.imports.qualified(call.func) or ""
        if qualified in _DICT_CONSUMERS:
            return True
        func = call.func
        last = func.attr.value if isinstance(func, cst.Attribute) else dotted_name(func) or ""
        return last in _VALIDATING_METHODS or last[:1].isupper()

    def _fix(
        self,
        name: str,
        value: cst.Dict,
        statement: cst.CSTNode,
        uses: list[_Use],
        scope: cst.CSTNode,
    ) -> Fix | None:
        ctx = self.context
        keys = dict_string_keys(value) or []
        if len(set(keys)) != len(keys) or not uses:
            return None
        fields: list[str] = []
        for key, element in zip(keys, value.elements):
            assert isinstance(element, cst.DictElement)
            annotation = _literal_type(element.value)
            if annotation is None or not key.isidentifier() or keyword.iskeyword(key):
                return None
            fields.append(f"{key}: {annotation} = {ctx.code(element.value)}")
        reads: list[tuple[cst.Subscript, str]] = []
        for use in uses:
            read = _literal_key_read(use)
            if read is None or read not in keys:
                return None
            assert isinstance(use.parent, cst.Subscript)
            reads.append((use.parent, read))
        if sum(1 for u in _name_uses(scope, name) if isinstance(u.parent, cst.AssignTarget)) != 1:
            return None  # rebound somewhere: the uses may not all see this dict
        class_name = _class_name(name)
        if re.search(rf"\b{class_name}\b", ctx.source):
            return None
        header, imports = self._class_header(class_name)
        indent = ctx.line_indent(statement)
        body = "".join(f"{indent}    {field}\n" for field in fields)
        gap = "\n\n" if indent == "" else "\n"
        text = f"{header.replace(chr(10), chr(10) + indent)}\n{body}{gap}{indent}"
        if indent == "":
            # A top-level class wants two blank lines above it too.
            start, _ = ctx.span(statement)
            before = ctx.source[:start]
            blank = len(before) - len(before.rstrip("\n"))
            if before.strip():
                text = "\n" * max(0, 3 - blank) + text
        edits: list[Edit] = [
            ctx.insert_before(statement, text),
            ctx.replace(value, f"{class_name}()"),
            *imports,
        ]
        edits.extend(ctx.replace(sub, f"{name}.{key}") for sub, key in reads)
        return self.make_fix(edits, Applicability.UNSAFE, f"Declare a frozen `{class_name}`")

    def _class_header(self, class_name: str) -> tuple[str, list[Edit]]:
        """``class X...:`` (with its decorator) and the import edit it needs."""
        imports = self.context.imports
        if imports.imports_module("pydantic"):
            base = module_local_name(imports, "pydantic.BaseModel")
            if base is None:
                module = module_local_name(imports, "pydantic")
                base = f"{module}.BaseModel" if module else None
            if base is not None:
                return f"class {class_name}({base}, frozen=True):", []
        decorator = module_local_name(imports, "dataclasses.dataclass")
        edits: list[Edit] = []
        if decorator is None:
            module = module_local_name(imports, "dataclasses")
            if module is not None:
                decorator = f"{module}.dataclass"
            else:
                decorator = "dataclass"
                edits.append(import_edit(self.context, "from dataclasses import dataclass"))
        return f"@{decorator}(frozen=True)\nclass {class_name}:", edits


def _literal_type(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    for literal, annotation in _LITERAL_TYPES.items():
        if isinstance(node, literal):
            return annotation
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return "bool"
    return None


def _class_name(variable: str) -> str:
    words = [w for w in variable.lower().split("_") if w]
    name = "".join(_CONFIG_WORD_CLASS.get(w, w.capitalize()) for w in words)
    return name if "Config" in name or "Params" in name else f"{name}Config"


@register
class SilentConfigDefault(Rule):
    """## What it does
    Checks for `cfg.get("key", default)` on a configuration mapping (loaded from
    YAML/JSON/TOML, a hyperparameter dict, or a parameter named `cfg`, `config`, `hparams` or
    `params`), and for the same key of a config read with two different defaults.

    ## Why is this bad?
    A typo in the config file (`learnig_rate: 1e-4`) or a renamed key makes the run silently
    use the default: the experiment trains with a value nobody chose. Two different defaults
    for one key mean two parts of the program disagree about the configuration.

    ## Example
    ```python
    cfg = yaml.safe_load(open("train.yaml"))
    lr = cfg.get("learning_rate", 1e-3)
    ```

    ## Use instead
    ```python
    cfg = load_config("train.yaml")  # a typed model: defaults declared once, typos rejected
    lr = cfg.learning_rate
    ```

    ## Fix safety
    No fix: where the default belongs (the model, the file) is a decision. A `None`
    default (an optional key) is not reported.

    ## Pattern
    `mlint.patterns.config.load_config`
    """

    code = "ML402"
    name = "silent-config-default"
    message = "Config key read with a silent default; declare the default in a typed config"
    triggers = ('.get("', ".get('")
    pattern = "mlint.patterns.config.load_config"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._origins = _ScopedOrigins(self)
        self._defaults: dict[int, dict[tuple[str, str], list[cst.Call]]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        read = _get_call(node)
        if read is None:
            return
        receiver, key, default = read
        if default is None or (default.keyword is not None and default.keyword.value != "default"):
            return
        if _is_absent_marker(default.value):
            return  # `None`, `{}`, `[]`: an optional key or section, not a hidden value
        if receiver in self._origins.origins():
            self.report(
                node,
                f"`{receiver}.get({key!r}, ...)` hides a missing config key behind a "
                "default; declare the default once in a typed config",
            )
            return
        if not is_config_name(receiver):
            return
        same = self._reads_in_scope().get((receiver, key), [])
        earlier = []
        for call in same:
            if call is node:
                break
            earlier.append(call)
        this_default = self.context.render(default.value)
        if len(earlier) < len(same) and any(
            self.context.render(c.args[1].value) != this_default
            for c in earlier
            if not _is_absent_marker(c.args[1].value)
        ):
            self.report(
                node,
                f"Config key {key!r} of `{receiver}` is read with different defaults; "
                "declare the default once in a typed config",
            )

    def _reads_in_scope(self) -> dict[tuple[str, str], list[cst.Call]]:
        scope = self._origins.scope()
        if id(scope) not in self._defaults:
            reads: dict[tuple[str, str], list[cst.Call]] = {}
            stack: list[cst.CSTNode] = (
                [scope.body] if isinstance(scope, cst.FunctionDef) else [scope]
            )
            while stack:
                item = stack.pop()
                if isinstance(item, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                    continue
                if isinstance(item, cst.Call):
                    read = _get_call(item)
                    if read is not None and read[2] is not None:
                        reads.setdefault((read[0], read[1]), []).append(item)
                stack.extend(reversed(tuple(child_nodes(item))))
            self._defaults[id(scope)] = reads
        return self._defaults[id(scope)]


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, stopping early once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def closest_key(key: str, defined: frozenset[str]) -> str | None:
    """The one defined key a misspelt ``key`` most likely means, ``None`` when unsure."""
    if key in defined:
        return None
    same_case = [d for d in defined if d.lower() == key.lower()]
    if len(same_case) == 1:
        return same_case[0]
    # Short keys are close to everything: allow fewer edits.
    limit = 2 if len(key) >= 6 else 1 if len(key) >= 3 else 0
    if limit == 0:
        return None
    scored = sorted((_edit_distance(key, d, limit), d) for d in defined)
    best = [d for score, d in scored if score == scored[0][0] and score <= limit]
    return best[0] if len(best) == 1 else None


@register
class ConfigKeyTypo(Rule):
    """## What it does
    Checks for a literal key read from a hyperparameter dict that is not one of its keys but
    is within two edits of one, or differs only in case (`cfg["learnin_rate"]` when
    `learning_rate` is defined).

    ## Why is this bad?
    The misspelt read raises `KeyError` late in a run, or, through `.get`, silently returns
    the default.

    ## Example
    ```python
    cfg = {"learning_rate": 3e-4, "batch_size": 32, "epochs": 10}
    lr = cfg["learnin_rate"]
    ```

    ## Use instead
    ```python
    cfg = {"learning_rate": 3e-4, "batch_size": 32, "epochs": 10}
    lr = cfg["learning_rate"]
    ```

    ## Fix safety
    The fix, the closest defined key, is unsafe: the key may be meant to be missing. Keys
    written later with a literal (`cfg["warmup"] = 100`) count as defined; a dict also
    written with dynamic keys (`cfg[name] = ...`, `cfg.update(...)`) is not checked.
    Shorter keys allow fewer edits (one for 3-5 characters, only case for 1-2).

    ## Pattern
    `mlint.patterns.config.TrainConfig`
    """

    code = "ML403"
    name = "config-key-typo"
    message = "Config key is not defined; did you mean a close one?"
    fix_availability = FixAvailability.SOMETIMES
    # Defined keys come only from a hyperparameter dict literal in the same file.
    triggers = QUOTED_HYPERPARAMETER_WORDS
    pattern = "mlint.patterns.config.TrainConfig"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._origins = _ScopedOrigins(self)
        self._keys: dict[str, frozenset[str] | None] = {}

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not (isinstance(node.value, cst.Name) and len(node.slice) == 1):
            return
        index = node.slice[0].slice
        if not isinstance(index, cst.Index) or not isinstance(index.value, cst.SimpleString):
            return
        parent = self.context.parent
        if isinstance(parent, (cst.AssignTarget, cst.Del)):
            return
        if isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node:
            return
        self._check(node.value.value, index.value)

    def visit_Call(self, node: cst.Call) -> None:
        read = _get_call(node)
        if read is not None:
            literal = node.args[0].value
            assert isinstance(literal, cst.SimpleString)
            self._check(read[0], literal)

    def _check(self, name: str, literal: cst.SimpleString) -> None:
        key = string_key(literal)
        origin = self._origins.origins().get(name)
        if key is None or origin is None or origin.keys is None:
            return
        defined = self._defined_keys(name, origin.keys)
        if defined is None:
            return
        closest = closest_key(key, defined)
        if closest is None:
            return
        fix = None
        if not any(c in closest for c in "\\'\"") and "\n" not in closest:
            new = f"{literal.prefix}{literal.quote}{closest}{literal.quote}"
            fix = self.make_fix(
                [self.context.replace(literal, new)],
                Applicability.UNSAFE,
                f"Use the defined key {closest!r}",
            )
        self.report(
            literal,
            f"Config key {key!r} is not defined in `{name}`; did you mean {closest!r}?",
            fix=fix,
        )

    def _defined_keys(self, name: str, literal_keys: frozenset[str]) -> frozenset[str] | None:
        """The literal keys plus literal writes; ``None`` when written with dynamic keys."""
        if name not in self._keys:
            keys: set[str] | None = set(literal_keys)
            for use in _name_uses(self.context.module, name):
                written = _written_key(use)
                if written is _DYNAMIC:
                    keys = None
                    break
                if isinstance(written, str) and keys is not None:
                    keys.add(written)
            self._keys[name] = frozenset(keys) if keys is not None else None
        return self._keys[name]


_DYNAMIC = object()


def _written_key(use: _Use) -> object:
    """The literal key a use writes, ``_DYNAMIC`` for an unknown write, ``None`` for a read."""
    parent, grandparent = use.parent, use.grandparent
    if isinstance(parent, cst.Attribute) and parent.value is use.name:
        if parent.attr.value in ("update", "setdefault", "__setitem__", "pop", "clear"):
            call = grandparent
            if (
                parent.attr.value == "setdefault"
                and isinstance(call, cst.Call)
                and call.args
                and string_key(call.args[0].value) is not None
            ):
                return string_key(call.args[0].value)
            return _DYNAMIC
        return None
    if isinstance(parent, cst.Subscript) and parent.value is use.name:
        written = isinstance(grandparent, cst.AssignTarget) or (
            isinstance(grandparent, (cst.AugAssign, cst.AnnAssign)) and grandparent.target is parent
        )
        if not written:
            return None
        index = parent.slice[0].slice if len(parent.slice) == 1 else None
        key = string_key(index.value) if isinstance(index, cst.Index) else None
        return key if key is not None else _DYNAMIC
    if isinstance(parent, cst.AugAssign) and parent.target is use.name:
        return _DYNAMIC  # cfg |= other
    return None


@register
class RawConfigLoad(Rule):
    """## What it does
    Checks for a config file loaded with `yaml.safe_load`, `json.load`, `tomllib.load` or
    `OmegaConf.load` into a name that is then read with string keys, without being validated
    into a model.

    ## Why is this bad?
    The raw mapping accepts any file: a missing key fails deep inside training, a typo'd key
    is ignored, and `"1e-3"` arrives as a string. Validating once at load time
    (`TrainConfig(**d)`, `TrainConfig.model_validate(d)`, `OmegaConf.structured`) reports
    every problem with the file and key, before any GPU time is spent.

    ## Example
    ```python
    with open("train.yaml") as f:
        cfg = yaml.safe_load(f)
    lr = cfg["lr"]
    ```

    ## Use instead
    ```python
    cfg = load_config("train.yaml")  # -> TrainConfig
    lr = cfg.lr
    ```

    ## Fix safety
    No fix: the model has to be written. `json.load`/`json.loads` count only when the file
    or the target name says "config" (JSON is also plain data). A name passed to `**`, to a
    validator (`model_validate`, `from_dict`, `OmegaConf.structured`/`merge`) or to a class
    (`Config(d)`) anywhere in the scope is not reported.

    ## Pattern
    `mlint.patterns.config.load_config`
    """

    code = "ML404"
    name = "raw-config-load"
    message = "Config file loaded into a raw dict and read by string keys; validate it into a model"
    triggers = ("load(", "loads(")
    pattern = "mlint.patterns.config.load_config"

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        loader = loader_name(node, ctx.imports)
        if loader is None:
            return
        assign = ctx.parent
        if not (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
        ):
            return
        name = assign.targets[0].target.value
        if loader == "json.load" and not (is_config_name(name) or self._mentions_config(node)):
            return
        if loader.endswith(".loads") and not self._mentions_config(node):
            return  # a string from anywhere (an environment variable, a response)
        function = ctx.enclosing(cst.FunctionDef)
        scope: cst.CSTNode = function if isinstance(function, cst.FunctionDef) else ctx.module
        keys_read: list[str] = []
        for use in _name_uses(scope, name):
            if self._validates(use):
                return
            key = _literal_key_read(use)
            call = use.grandparent
            if key is None and isinstance(use.parent, cst.Attribute) and isinstance(call, cst.Call):
                read = _get_call(call)
                key = read[1] if read is not None and read[0] == name else None
            if key is not None and key not in keys_read:
                keys_read.append(key)
            if key is not None and isinstance(use.parent, cst.Subscript):
                path = _key_path(use)
                if path not in keys_read:
                    keys_read.append(path)
        if len(keys_read) < 2:
            return  # one key read is a sniff (`model_type`), not a configuration in use
        read_key = keys_read[0]
        short = loader.rpartition(".")[0].rpartition(".")[2] + "." + loader.rpartition(".")[2]
        self.report(
            node,
            f"`{short}` loads a config into the raw dict `{name}`, read as `{name}[{read_key!r}]`;"
            " validate it into a typed model",
        )

    def _mentions_config(self, call: cst.Call) -> bool:
        """Whether the loaded file's path (directly or through ``with open(...) as f``) says so."""
        if not call.args:
            return False
        arg = call.args[0].value
        if looks_like_config_source(self.context.code(arg)):
            return True
        if isinstance(arg, cst.Name):
            for node in reversed(self.context.ancestors):
                if isinstance(node, cst.With):
                    for item in node.items:
                        asname = item.asname.name if item.asname else None
                        if isinstance(asname, cst.Name) and asname.value == arg.value:
                            return looks_like_config_source(self.context.code(item.item))
        return False

    @staticmethod
    def _validates(use: _Use) -> bool:
        arg, call = use.parent, use.grandparent
        if not (isinstance(arg, cst.Arg) and isinstance(call, cst.Call)):
            return False
        if arg.star == "**":
            return True
        func = call.func
        last = func.attr.value if isinstance(func, cst.Attribute) else dotted_name(func) or ""
        return last in _VALIDATING_METHODS or last[:1].isupper()


def _key_path(use: _Use) -> str:
    """``a.b.c`` for ``cfg["a"]["b"]["c"]``: nested reads of one section are distinct reads."""
    keys: list[str] = []
    chain = (*reversed(use.ancestors), None)
    node: cst.CSTNode = use.name
    for parent in chain:
        if not (isinstance(parent, cst.Subscript) and parent.value is node):
            break
        index = parent.slice[0].slice if len(parent.slice) == 1 else None
        key = string_key(index.value) if isinstance(index, cst.Index) else None
        if key is None:
            break
        keys.append(key)
        node = parent
    return ".".join(keys)

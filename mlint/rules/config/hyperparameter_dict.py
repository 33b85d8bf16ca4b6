"""ML401 `hyperparameter-dict`: the rule and the helpers only it uses."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from mlint.analysis.bindings import is_rebound
from mlint.analysis.imports import dotted_name
from mlint.analysis.imports_placement import import_edit
from mlint.analysis.origin import (
    QUOTED_HYPERPARAMETER_WORDS,
    dict_string_keys,
    is_config_name,
    is_hyperparameter_dict,
    module_local_name,
)
from mlint.rule import FileContext, Rule, register
from mlint.rules.config._shared import _VALIDATING_METHODS, _literal_key_read, _name_uses, _Use
from mlint.types import Applicability, Edit, Fix, FixAvailability

# Libraries whose API takes a plain dict of parameters: a dict made for them is fine.
_DICT_CONSUMERS = frozenset(
    {
        "xgboost.train",
        "xgboost.cv",
        "xgboost.DMatrix",
        "lightgbm.train",
        "lightgbm.cv",
        "lightgbm.Dataset",
        "catboost.cv",
        "catboost.train",
        "sklearn.model_selection.GridSearchCV",
        "sklearn.model_selection.RandomizedSearchCV",
        "sklearn.model_selection.ParameterGrid",
        "optuna.create_study",
        "wandb.init",
        "wandb.config.update",
        "mlflow.log_params",
        "mlflow.log_dict",
        "json.dump",
        "json.dumps",
        "yaml.dump",
        "yaml.safe_dump",
        "toml.dump",
        "ray.tune.run",
        "ray.tune.Tuner",
        "ray.train.torch.TorchTrainer",
        "ray.train.data_parallel_trainer.DataParallelTrainer",
    }
)

# Keywords under which libraries take a dict of settings (Ray's trainers and tuners, the
# experiment trackers' ``init(config=...)``, LightGBM's ``Dataset(params=...)``).
_DICT_KEYWORDS = frozenset({"train_loop_config", "param_space", "params", "config"})

# Methods that change a dict in place: a frozen object cannot stand in for it.
_MUTATORS = frozenset({"update", "pop", "popitem", "setdefault", "clear", "__setitem__"})

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
    and a dict whose values are mostly lists (a search grid). Nor a dict that, at any use,
    goes to a library that takes a plain dict (`xgb.cv` and `xgb.train`, `lgb.Dataset(...,
    params=...)`, Ray's `train_loop_config=`, a tracker's `init(config=...)`) or is written
    out (`json.dump`, `yaml.dump`); nor a dict that is changed after it is built
    (`cfg["lr"] = ...`, `cfg.update(...)`, or a same-file function that writes to it).
    The fix keeps the comments of the dict's entries on the fields.

    This rule is opt-in: select it with `--select ML401`. On real application code most of
    its findings were settings dicts of notebooks and example scripts handed straight to a
    training function or a model class: technically right, but not worth changing.

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
    default: ClassVar[bool] = False

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
        uses = [u for u in _name_uses(self.context, scope, name) if u.name is not target]
        if len(uses) == 1 and self._handed_over(uses[0]):
            return
        if any(self._library_wants_dict(u) or self._mutated(u) for u in uses):
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

    def _library_wants_dict(self, use: _Use) -> bool:
        """The dict goes to a library that takes (or writes out) a plain dict, at any use."""
        arg, call = use.parent, use.grandparent
        if not (isinstance(arg, cst.Arg) and isinstance(call, cst.Call) and arg.value is use.name):
            return False
        resolved = self.context.imports.resolve(call.func)
        if resolved is None:
            return False
        if resolved.name in _DICT_CONSUMERS:
            return True
        keyword = arg.keyword.value if arg.keyword is not None else None
        return keyword in _DICT_KEYWORDS

    def _mutated(self, use: _Use, depth: int = 0) -> bool:
        """``cfg["k"] = v``, ``del cfg["k"]``, ``cfg.update(...)``, or a same-file callee that
        writes to its parameter: the dict is built to be changed."""
        parent, grandparent = use.parent, use.grandparent
        if isinstance(parent, cst.Subscript) and parent.value is use.name:
            if isinstance(grandparent, (cst.AssignTarget, cst.Del)):
                return True
            if isinstance(grandparent, cst.AugAssign) and grandparent.target is parent:
                return True
        if (
            isinstance(parent, cst.Attribute)
            and parent.value is use.name
            and parent.attr.value in _MUTATORS
            and isinstance(grandparent, cst.Call)
        ):
            return True
        if isinstance(parent, cst.Arg) and isinstance(grandparent, cst.Call) and depth < 2:
            return self._callee_mutates(grandparent, parent, depth + 1)
        return False

    def _callee_mutates(self, call: cst.Call, arg: cst.Arg, depth: int) -> bool:
        if not isinstance(call.func, cst.Name) or arg.star:
            return False
        function = _top_level_functions(self.context).get(call.func.value)
        if function is None:
            return False
        params = [*function.params.posonly_params, *function.params.params]
        if arg.keyword is not None:
            param = arg.keyword.value
        else:
            index = call.args.index(arg)
            if index >= len(params):
                return False
            param = params[index].name.value
        return any(
            self._mutated(u, depth)
            for u in _name_uses(self.context, function.body, param)
            if not isinstance(u.parent, cst.Arg) or u.grandparent is not call
        )

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
            comment = _trailing_comment(ctx, element)
            fields.append(f"{key}: {annotation} = {ctx.code(element.value)}{comment}")
        reads: list[tuple[cst.Subscript, str]] = []
        for use in uses:
            read = _literal_key_read(use)
            if read is None or read not in keys:
                return None
            assert isinstance(use.parent, cst.Subscript)
            reads.append((use.parent, read))
        if (
            sum(
                1
                for u in _name_uses(self.context, scope, name)
                if isinstance(u.parent, cst.AssignTarget)
            )
            != 1
        ):
            return None  # rebound somewhere: the uses may not all see this dict
        class_name = _class_name(name)
        if re.search(rf"\b{class_name}\b", ctx.source):
            return None
        header_and_imports = self._class_header(class_name)
        if header_and_imports is None:
            return None
        header, imports = header_and_imports
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
            ctx.replace(value, f"{class_name}(){_opening_comment(ctx, value)}"),
            *imports,
        ]
        edits.extend(ctx.replace(sub, f"{name}.{key}") for sub, key in reads)
        return self.make_fix(edits, Applicability.UNSAFE, f"Declare a frozen `{class_name}`")

    def _class_header(self, class_name: str) -> tuple[str, list[Edit]] | None:
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
            elif is_rebound(self.context, "dataclass"):
                return None  # the file's own `dataclass` would shadow the import
            else:
                decorator = "dataclass"
                edits.append(import_edit(self.context, "from dataclasses import dataclass"))
        return f"@{decorator}(frozen=True)\nclass {class_name}:", edits


def _opening_comment(ctx: FileContext, value: cst.Dict) -> str:
    """The ``  # comment`` after a multi-line dict's ``{``, kept after the new call."""
    start, end = ctx.span(value)
    line_end = ctx.source.find("\n", start, end)
    if line_end < 0:
        return ""
    match = re.match(r"\{\s*(#.*)$", ctx.source[start:line_end])
    return f"  {match.group(1).rstrip()}" if match else ""


def _trailing_comment(ctx: FileContext, element: cst.DictElement) -> str:
    """The ``  # comment`` on the line of a dict entry, kept with the field it becomes."""
    _, end = ctx.span(element)
    line_end = ctx.source.find("\n", end)
    rest = ctx.source[end : len(ctx.source) if line_end < 0 else line_end]
    match = re.match(r"\s*,?\s*(#.*)$", rest)
    return f"  {match.group(1).rstrip()}" if match else ""


def _top_level_functions(ctx: FileContext) -> dict[str, cst.FunctionDef]:
    return ctx.fact(
        "top-level-functions",
        lambda: {
            stmt.name.value: stmt for stmt in ctx.module.body if isinstance(stmt, cst.FunctionDef)
        },
    )


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

"""ML404 `raw-config-load`: the rule and the helpers only it uses."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.analysis.origin import is_config_name, loader_name, looks_like_config_source, string_key
from mlint.rule import Rule, register
from mlint.rules.config._shared import (
    _VALIDATING_METHODS,
    _get_call,
    _literal_key_read,
    _name_uses,
    _Use,
)


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

    This rule is opt-in: select it with `--select ML404`. On real application code
    the configs were third-party YAML files tweaked and passed on,
    or internal hand-off files: technically right, not worth changing.

    ## Pattern
    `mlint.patterns.config.load_config`
    """

    code = "ML404"
    name = "raw-config-load"
    message = "Config file loaded into a raw dict and read by string keys; validate it into a model"
    triggers = ("load(", "loads(")
    pattern = "mlint.patterns.config.load_config"
    default: ClassVar[bool] = False

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
        for use in _name_uses(self.context, scope, name):
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

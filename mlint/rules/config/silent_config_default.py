"""ML402 `silent-config-default`: the rule and the helpers only it uses."""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

import libcst as cst

from mlint.analysis.origin import is_config_name
from mlint.rule import Rule, register
from mlint.rules.config._shared import _get_call, _ScopedOrigins
from mlint.walker import children as child_nodes


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


_CONVERSIONS = frozenset({"float", "int", "str", "bool"})


def _parsed_receivers(function: cst.FunctionDef) -> frozenset[str]:
    """Mappings of which some ``.get(key, default)`` is parsed on the spot in ``function``
    (``float(params.get("top_p", 1.0))``): a request payload, every field of it."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value in _CONVERSIONS
            and len(node.args) == 1
            and isinstance(node.args[0].value, cst.Call)
        ):
            read = _get_call(node.args[0].value)
            if read is not None:
                found.add(read[0])
        stack.extend(child_nodes(node))
    return frozenset(found)


def _reads_receiver(default: cst.BaseExpression, receiver: str) -> bool:
    """``meta.get("short", meta["long"])``: the default is another key of the same mapping."""
    stack: list[cst.CSTNode] = [default]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value == receiver:
            return True
        stack.extend(child_nodes(node))
    return False


def _in_tests(path: str) -> bool:
    parts = PurePath(path).parts
    name = parts[-1] if parts else ""
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(p in ("tests", "test") for p in parts[:-1])
    )


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
    default (an optional key) is not reported, nor a default that reads another key of
    the same mapping (`meta.get("short", meta["long"])`), nor reads in test suites (toy
    configs). A mapping that is only known as a parameter of the function (`def f(params)`)
    is not reported when the function is an `async def` (a request handler) or reads of it
    are parsed on the spot (`float(params.get("temperature", 1.0))`): optional request fields
    with defaults are an API's contract, not configuration.

    This rule is opt-in: select it with `--select ML402`. On real application code its
    remaining findings were optional architecture keys of model-config dicts
    (`cfg.get("rms_norm_eps", 1e-6)` where model variants differ): technically right, but
    not worth changing.

    ## Pattern
    `mlint.patterns.config.load_config`
    """

    code = "ML402"
    name = "silent-config-default"
    message = "Config key read with a silent default; declare the default in a typed config"
    triggers = ('.get("', ".get('")
    pattern = "mlint.patterns.config.load_config"
    default: ClassVar[bool] = False

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
        if _reads_receiver(default.value, receiver) or _in_tests(self.context.path):
            return  # a fallback to another key; toy configs of a test suite
        origin = self._origins.origins().get(receiver)
        if origin is not None and origin.kind == "parameter" and self._payload_field(node):
            return
        if origin is not None:
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

    def _payload_field(self, node: cst.Call) -> bool:
        """An optional field of a request or payload handed to a function, not a config file.

        Inside an ``async def`` (a request handler), or parsed on the spot
        (``float(params.get("temperature", 1.0))``): the default is the API's contract.
        """
        function = self.context.enclosing(cst.FunctionDef)
        if isinstance(function, cst.FunctionDef) and function.asynchronous is not None:
            return True
        read = _get_call(node)
        if read is None or not isinstance(function, cst.FunctionDef):
            return False
        return read[0] in self.context.fact(
            ("ML402-parsed-payloads", id(function)), lambda: _parsed_receivers(function)
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

"""ML505 `unregistered-submodules`: the rule and the helpers only it uses."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from mlint.analysis.modules import is_module_constructor, walk_statements
from mlint.rule import FileContext, Rule, register
from mlint.rules.protocols._shared import _descendants, _methods, _self_attribute
from mlint.types import Applicability, FixAvailability

_CONTAINERS = (cst.List, cst.Dict, cst.ListComp, cst.DictComp)


def _assigns_container_to_self(small: cst.BaseSmallStatement) -> bool:
    return (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.value, _CONTAINERS)
        and _self_attribute(small.targets[0].target) is not None
    )


def _nn_alias(ctx: FileContext, attribute: str) -> str | None:
    """How this file spells ``torch.nn.<attribute>``, from its own imports; ``None`` if it cannot."""
    names = ctx.imports.names
    for local, qualified in sorted(names.items()):
        if qualified == f"torch.nn.{attribute}":
            return local
    for local, qualified in sorted(names.items()):
        if qualified == "torch.nn":
            return f"{local}.{attribute}"
    for local, qualified in sorted(names.items()):
        if qualified == "torch" and local == "torch":
            return f"torch.nn.{attribute}"
    return None


@register
class UnregisteredSubmodules(Rule):
    """## What it does
    Checks for `nn.Module` attributes that hold submodules in a plain `list` or `dict`:
    `self.blocks = [nn.Linear(d, d) for _ in range(n)]`.

    ## Why is this bad?
    `nn.Module` registers only modules assigned directly or held in `nn.ModuleList`,
    `nn.ModuleDict` or `nn.Sequential`. Modules in a plain list are invisible to
    `.parameters()` (the optimizer never trains them), `.to(device)`/`.cuda()` (device
    mismatch errors), `.train()`/`.eval()`, `state_dict()` (they are not saved) and DDP.

    ## Example
    ```python
    class Tower(nn.Module):
        def __init__(self, dim, depth):
            super().__init__()
            self.blocks = [nn.Linear(dim, dim) for _ in range(depth)]
    ```

    ## Use instead
    ```python
    class Tower(nn.Module):
        def __init__(self, dim, depth):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])
    ```

    ## Fix safety
    The fix wraps the value in `nn.ModuleList(...)` / `nn.ModuleDict(...)`, spelled with
    the file's own import of `torch.nn`. It is unsafe: the parameters start being
    trained, moved and saved, which changes `state_dict()` keys and checkpoint
    compatibility. Dicts are fixed only when every key is a string without a dot (a
    `ModuleDict` requirement). Only values built by module constructors that mlint can
    prove (`torch.nn` classes, module classes of the same file) are reported; lists
    that are also passed to a call (`nn.Sequential(*self.blocks)`) or whose items are
    registered with `add_module` are not.

    ## Pattern
    `mlint.patterns.protocols.MLP`
    """

    code = "ML505"
    name = "unregistered-submodules"
    message = (
        "Submodules in a plain list or dict are not registered: use `nn.ModuleList`/`nn.ModuleDict`"
    )
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("Module", "Sequential")
    pattern = "mlint.patterns.protocols.MLP"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        ctx = self.context
        methods = _methods(node)
        if not methods or not ctx.classes.is_module(node):
            return
        for method in methods.values():
            self._check_function(method)

    def _check_function(self, func: cst.FunctionDef) -> None:
        statements = list(walk_statements(func.body))
        if not any(_assigns_container_to_self(small) for small in statements):
            return  # the common case: no `self.x = [...]`/`{...}`, so nothing to scan
        nodes = [n for small in statements for n in _descendants(small)]
        if any(
            isinstance(n, cst.Attribute) and n.attr.value in ("add_module", "register_module")
            for n in nodes
        ):
            return
        passed = {
            name
            for n in nodes
            if isinstance(n, cst.Arg) and (name := _self_attribute(n.value)) is not None
        }
        empty: dict[str, cst.Assign] = {}
        filled: dict[str, list[cst.BaseExpression]] = {}  # attr -> keys (dict) or [] (list)
        assigned: dict[str, int] = {}
        for small in statements:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if (attr := _self_attribute(target)) is not None:
                    assigned[attr] = assigned.get(attr, 0) + 1
                    value = small.value
                    if attr in passed:
                        continue
                    if isinstance(value, (cst.List, cst.Dict)) and not value.elements:
                        empty[attr] = small
                    elif self._holds_modules(value):
                        self._report(attr, value, self._keys_of(value))
                elif (
                    isinstance(target, cst.Subscript)
                    and (attr := _self_attribute(target.value)) in empty
                    and isinstance(empty[attr].value, cst.Dict)
                    and self._is_constructor(small.value)
                    and len(target.slice) == 1
                    and isinstance(target.slice[0].slice, cst.Index)
                ):
                    filled.setdefault(attr, []).append(target.slice[0].slice.value)
            elif (
                isinstance(small, cst.Expr)
                and isinstance(small.value, cst.Call)
                and isinstance(small.value.func, cst.Attribute)
                and small.value.func.attr.value in ("append", "extend", "insert")
                and (attr := _self_attribute(small.value.func.value)) in empty
                and isinstance(empty[attr].value, cst.List)
                and small.value.args
                and self._holds_modules_arg(small.value.func.attr.value, small.value.args)
            ):
                filled.setdefault(attr, [])
        for attr, keys in filled.items():
            if assigned.get(attr) == 1:
                value = empty[attr].value
                self._report(attr, value, keys if isinstance(value, cst.Dict) else None)

    def _is_constructor(self, value: cst.BaseExpression) -> bool:
        ctx = self.context
        return isinstance(value, cst.Call) and is_module_constructor(
            value, ctx.imports, ctx.classes
        )

    def _holds_modules(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.List):
            items = [e.value for e in value.elements if isinstance(e, cst.Element)]
            return (
                bool(items)
                and len(items) == len(value.elements)
                and all(self._is_constructor(v) for v in items)
            )
        if isinstance(value, cst.ListComp):
            return self._is_constructor(value.elt)
        if isinstance(value, cst.Dict):
            items = [e.value for e in value.elements if isinstance(e, cst.DictElement)]
            return (
                bool(items)
                and len(items) == len(value.elements)
                and all(self._is_constructor(v) for v in items)
            )
        if isinstance(value, cst.DictComp):
            return self._is_constructor(value.value)
        return False

    def _holds_modules_arg(self, method: str, args: Sequence[cst.Arg]) -> bool:
        value = args[-1].value
        if method == "extend":
            return self._holds_modules(value)
        return self._is_constructor(value)

    @staticmethod
    def _keys_of(value: cst.BaseExpression) -> list[cst.BaseExpression] | None:
        if isinstance(value, cst.Dict):
            return [e.key for e in value.elements if isinstance(e, cst.DictElement)]
        if isinstance(value, cst.DictComp):
            return [value.key]
        return None

    def _report(
        self, attr: str, value: cst.BaseExpression, keys: list[cst.BaseExpression] | None
    ) -> None:
        ctx = self.context
        kind = "list" if keys is None else "dict"
        container = "ModuleList" if keys is None else "ModuleDict"
        spelled = _nn_alias(ctx, container)
        fix = None
        if spelled is not None and (keys is None or all(_module_key(k) for k in keys)):
            empty = isinstance(value, (cst.List, cst.Dict)) and not value.elements
            wrapped = f"{spelled}()" if empty else f"{spelled}({ctx.code(value)})"
            fix = self.make_fix(
                [ctx.replace(value, wrapped)],
                Applicability.UNSAFE,
                f"Wrap in `{spelled}`",
            )
        self.report(
            value,
            f"`self.{attr}` holds submodules in a plain {kind}, so they are not registered: "
            f"wrap it in `nn.{container}`",
            fix=fix,
        )


def _module_key(key: cst.BaseExpression) -> bool:
    """Whether a dict key is certainly a valid ``ModuleDict`` key (a string without a dot)."""
    if isinstance(key, cst.SimpleString):
        text = key.evaluated_value
        return isinstance(text, str) and "." not in text and text != ""
    if isinstance(key, cst.FormattedString):
        return not any(isinstance(p, cst.FormattedStringText) and "." in p.value for p in key.parts)
    return False

"""ML507 `explicit-dunder-call`: the rule and the helpers only it uses."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from mlint.analysis.bindings import is_rebound
from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.types import Applicability, Fix, FixAvailability

_DUNDER_CALLS = frozenset({"__call__", "__len__", "__getitem__"})

# Receivers that make ``x.__dunder__(...)`` an unbound call on a type.
_TYPE_RECEIVERS = frozenset(
    {
        "cls",
        "mcs",
        "mcls",
        "metacls",
        "dict",
        "list",
        "tuple",
        "str",
        "bytes",
        "set",
        "frozenset",
        "object",
        "type",
        "int",
        "float",
        "range",
        "super",
    }
)


@register
class ExplicitDunderCall(Rule):
    """## What it does
    Checks for explicit calls of `__call__`, `__len__` and `__getitem__` on objects:
    `model.__call__(x)`, `ds.__len__()`, `ds.__getitem__(i)`.

    ## Why is this bad?
    The protocol syntax `model(x)`, `len(ds)`, `ds[i]` is what readers and tools expect,
    and it is not equivalent: Python looks dunders up on the type, `len()` checks that
    the result is a non-negative `int`, and for an `nn.Module`, `model.__call__(x)` is a
    roundabout spelling of `model(x)` that suggests something different is happening.

    ## Example
    ```python
    n = dataset.__len__()
    sample = dataset.__getitem__(0)
    out = model.__call__(batch)
    ```

    ## Use instead
    ```python
    n = len(dataset)
    sample = dataset[0]
    out = model(batch)
    ```

    ## Fix safety
    The fix is safe. Unbound calls on a class (`Base.__getitem__(self, i)`,
    `dict.__getitem__(d, k)`, `cls.__call__(...)`), `super().__len__()` and friends, and
    calls inside the definition of the same dunder are not reported; neither are calls
    whose arguments do not fit the protocol (`x.__getitem__()` with keywords or
    star-arguments). There is no fix for `x.__len__()` in a file that binds the name `len`
    to something else.

    This rule is opt-in: select it with `--select ML507`. On real application code
    the calls were `ds.__getitem__(0)` peeks in notebooks and
    `self.__len__()` inside the class itself: technically right, not worth changing.

    ## Pattern
    `mlint.patterns.protocols.Pipeline`
    """

    code = "ML507"
    name = "explicit-dunder-call"
    message = "Use the protocol syntax instead of calling a dunder method"
    fix_availability = FixAvailability.SOMETIMES
    triggers = (".__call__(", ".__len__(", ".__getitem__(")
    pattern = "mlint.patterns.protocols.Pipeline"
    default: ClassVar[bool] = False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _DUNDER_CALLS):
            return
        dunder = func.attr.value
        receiver = func.value
        if isinstance(receiver, cst.Call):
            return  # super().__len__(), type(x).__call__(...)
        dotted = dotted_name(receiver)
        if dotted is not None:
            last = dotted.rpartition(".")[2]
            if last[:1].isupper() or last in _TYPE_RECEIVERS or last == "__class__":
                return
            if dotted in self.context.classes.by_name:
                return
        function = self.context.enclosing(cst.FunctionDef)
        if isinstance(function, cst.FunctionDef) and function.name.value == dunder:
            return
        args = node.args
        plain = all(a.keyword is None and a.star == "" for a in args)
        ctx = self.context
        target = ctx.render(receiver)  # with its parentheses, unlike `code`
        if dunder == "__len__":
            if args:
                return
            replacement = f"len({target})"
        elif dunder == "__getitem__":
            if len(args) != 1 or not plain:
                return
            replacement = f"{target}[{ctx.render(args[0].value)}]"
        else:
            direct = self.make_fix(
                [ctx.replace(func, target)], Applicability.SAFE, "Call the object directly"
            )
            self.report(node, "Call the object directly instead of `.__call__(...)`", fix=direct)
            return
        fix: Fix | None = None
        if dunder != "__len__" or not is_rebound(ctx, "len"):
            fix = self.make_fix(
                [ctx.replace(node, replacement)], Applicability.SAFE, "Use the protocol"
            )
        shown = replacement if len(replacement) <= 60 and "\n" not in replacement else None
        syntax = "len(...)" if dunder == "__len__" else "[...]"
        self.report(
            node,
            f"Use `{shown or syntax}` instead of calling `{dunder}` explicitly",
            fix=fix,
        )

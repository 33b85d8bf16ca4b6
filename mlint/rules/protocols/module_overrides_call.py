"""ML502 `module-overrides-call`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.classes import defined_names
from mlint.rule import Rule, register
from mlint.rules.protocols._shared import (
    _body_statements,
    _descendants,
    _is_docstring,
    _is_stub,
    _is_super_call,
    _methods,
)
from mlint.types import Applicability, FixAvailability


def _only_raises(func: cst.FunctionDef) -> bool:
    """A body of a docstring and a single ``raise``."""
    rest = [s for s in _body_statements(func) if not _is_docstring(s)]
    return (
        len(rest) == 1
        and isinstance(rest[0], cst.SimpleStatementLine)
        and isinstance(rest[0].body[0], cst.Raise)
    )


def _takes_variadic(func: cst.FunctionDef) -> bool:
    """``*args``/``**kwargs``: a caller may inspect this signature to filter what it passes."""
    return isinstance(func.params.star_arg, cst.Param) or func.params.star_kwarg is not None


@register
class ModuleOverridesCall(Rule):
    """## What it does
    Checks for `nn.Module` subclasses that define `__call__` instead of `forward`.

    ## Why is this bad?
    `nn.Module.__call__` is what runs forward pre-hooks and hooks, backward hooks,
    `torch.compile` and FSDP/DDP wrappers' logic around `forward`. Overriding it
    without delegating to `super().__call__` bypasses all of that, and `module(x)` no
    longer means what every PyTorch user (and every tool) expects.

    ## Example
    ```python
    class Head(nn.Module):
        def __call__(self, x):
            return self.proj(x).softmax(-1)
    ```

    ## Use instead
    ```python
    class Head(nn.Module):
        def forward(self, x):
            return self.proj(x).softmax(-1)
    ```

    ## Fix safety
    The fix renames `__call__` to `forward` when the class has no `forward` of its own
    and the body does not mention `forward`. It is unsafe: code that relied on the
    override (for example, to skip hooks) behaves differently. There is no fix when
    `__call__` takes `*args` or `**kwargs`: callers of such objects (attention processors
    in diffusers, for one) inspect `obj.__call__`'s signature to decide which keyword
    arguments to pass, and after the rename they would see `nn.Module.__call__`'s
    `(*args, **kwargs)` instead. An override that
    delegates to `super().__call__(...)` (or `Base.__call__(self, ...)`), such as a
    typing-only `return super().__call__(*args, **kwargs)` or a wrapper that adds
    gradient checkpointing around the real call, keeps the hooks and is not reported.
    Neither are `@overload` stubs nor `__call__` in classes that are not modules.

    ## Pattern
    `mlint.patterns.protocols.MLP`
    """

    code = "ML502"
    name = "module-overrides-call"
    message = "`nn.Module` subclass overrides `__call__`: define `forward` instead"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("__call__",)
    pattern = "mlint.patterns.protocols.MLP"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = _methods(node)
        call = methods.get("__call__")
        if call is None or _is_stub(call) or _only_raises(call):
            return  # `raise RuntimeError("X should not be called")` opts out on purpose
        ctx = self.context
        if not ctx.classes.is_module(node):
            return
        nodes = list(_descendants(call.body))
        if any(_is_super_call(n, "__call__") for n in nodes) or any(
            isinstance(n, cst.Attribute) and n.attr.value in ("_call_impl", "_wrapped_call_impl")
            for n in nodes
        ):
            return
        fix = None
        mentions_forward = any(isinstance(n, cst.Name) and n.value == "forward" for n in nodes)
        if (
            "forward" not in defined_names(node)
            and not mentions_forward
            and not _takes_variadic(call)
        ):
            fix = self.make_fix(
                [ctx.replace(call.name, "forward")], Applicability.UNSAFE, "Rename to `forward`"
            )
        self.report(
            call.name,
            f"`{node.name.value}` overrides `nn.Module.__call__`, so hooks never run: "
            "define `forward` instead",
            fix=fix,
        )

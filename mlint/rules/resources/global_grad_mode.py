"""ML202 `global-grad-mode`: the rule and the helpers only it uses."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from mlint.analysis.blocks import (
    SET_GRAD_ENABLED,
    bare_call,
    iter_calls,
    iter_nodes,
    statement_blocks,
)
from mlint.rule import FileContext, Rule, register
from mlint.rules.resources._shared import _wrap_rest_in_with
from mlint.types import Applicability, FixAvailability

_DETECT_ANOMALY = frozenset(
    {"torch.autograd.set_detect_anomaly", "torch.autograd.anomaly_mode.set_detect_anomaly"}
)

_GLOBAL_TOGGLES = SET_GRAD_ENABLED | _DETECT_ANOMALY
_IS_GRAD_ENABLED = frozenset(
    {
        "torch.is_grad_enabled",
        "torch.autograd.is_grad_enabled",
        "torch.is_anomaly_enabled",
        "torch.autograd.is_anomaly_enabled",
    }
)


def _toggle_name(
    statement: cst.BaseStatement, ctx: FileContext, family: frozenset[str]
) -> str | None:
    call = bare_call(statement)
    if call is None:
        return None
    qualified = ctx.imports.qualified(call.func)
    return qualified if qualified in family else None


def _sets_default(statement: cst.BaseStatement, family: frozenset[str]) -> bool:
    """``set_grad_enabled(True)`` / ``set_detect_anomaly(False)``: the defaults."""
    call = bare_call(statement)
    if call is None or not call.args:
        return False
    value = call.args[0].value
    default = "False" if family is _DETECT_ANOMALY else "True"
    return isinstance(value, cst.Name) and value.value == default


def _restores_in_finally(body: cst.CSTNode, ctx: FileContext, family: frozenset[str]) -> bool:
    for node in iter_nodes(body):
        if isinstance(node, (cst.Finally, cst.ExceptHandler)):
            for call in iter_calls(node):
                if ctx.imports.qualified(call.func) in family:
                    return True
    return False


def _saved_grad_modes(ctx: FileContext) -> frozenset[str]:
    """Names and attributes that hold a saved grad mode: ``prev = torch.is_grad_enabled()``."""
    saved: set[str] = set()
    for node in iter_nodes(ctx.module, into_scopes=True):
        if (
            isinstance(node, cst.Assign)
            and isinstance(node.value, cst.Call)
            and ctx.imports.qualified(node.value.func) in _IS_GRAD_ENABLED
        ):
            saved.update(ctx.render(t.target) for t in node.targets)
    return frozenset(saved)


@register
class GlobalGradMode(Rule):
    """## What it does
    Checks for global autograd switches used as bare statements:
    `torch.set_grad_enabled(False)`, `torch.autograd.set_detect_anomaly(True)`.

    ## Why is this bad?
    The switch stays on for everything that runs afterwards in the thread, far beyond the
    code it was meant for: a later training step silently records no graph, or every step
    pays for anomaly detection. Both are context managers; a `with` block limits them to
    the code that needs them and restores the previous setting, also on an exception.

    Not reported: the `with` form, a toggle that the same block switches back later or
    that switches back an earlier one (ML203 reports that pair), a restore of a saved mode
    (`prev = torch.is_grad_enabled()` … `torch.set_grad_enabled(prev)`), code that
    restores the setting in a `finally`, and
    `__enter__`/`__exit__` methods (which implement a context manager).

    ## Example
    ```python
    def evaluate(model, batch):
        torch.set_grad_enabled(False)
        return model(batch)
    ```

    ## Use instead
    ```python
    def evaluate(model, batch):
        with torch.set_grad_enabled(False):
            return model(batch)
    ```

    ## Fix safety
    Inside a function the fix turns the statement into a `with` block over the rest of the
    enclosing block. It is unsafe: code after that block (or a caller) may have relied on
    the global setting. Module-level switches get no fix.

    ## Pattern
    `mlint.patterns.resources.grad_mode`
    """

    code = "ML202"
    name = "global-grad-mode"
    message = "Global autograd switch: use it as a `with` block"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("set_grad_enabled", "set_detect_anomaly")
    pattern = "mlint.patterns.resources.grad_mode"

    def __init__(self, context: FileContext, options: object = None) -> None:
        super().__init__(context, options)
        self._saved: frozenset[str] | None = None

    def visit_Module(self, node: cst.Module) -> None:
        self._check(node, None)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value not in ("__enter__", "__exit__"):
            self._check(node.body, node)

    def _check(self, body: cst.BaseSuite | cst.Module, function: cst.FunctionDef | None) -> None:
        ctx = self.context
        for block in statement_blocks(body):
            for index, statement in enumerate(block):
                toggle = _toggle_name(statement, ctx, _GLOBAL_TOGGLES)
                if toggle is None:
                    continue
                family = _DETECT_ANOMALY if toggle in _DETECT_ANOMALY else SET_GRAD_ENABLED
                if _sets_default(statement, family):
                    continue  # back to the default: a restore, not a switch
                if self._restores_saved(statement):
                    continue  # `set_grad_enabled(prev)` with `prev = is_grad_enabled()`
                if any(_toggle_name(s, ctx, family) for s in block[:index]):
                    continue  # the undo half of a switch made above: ML203's pair
                rest = block[index + 1 :]
                if any(_toggle_name(s, ctx, family) for s in rest):
                    continue  # switched back by hand: ML203
                if _restores_in_finally(body, ctx, family):
                    continue
                self._report(statement, rest, function)

    def _restores_saved(self, statement: cst.BaseStatement) -> bool:
        call = bare_call(statement)
        if call is None or len(call.args) != 1:
            return False
        if self._saved is None:
            self._saved = _saved_grad_modes(self.context)
        return self.context.render(call.args[0].value) in self._saved

    def _report(
        self,
        statement: cst.BaseStatement,
        rest: Sequence[cst.BaseStatement],
        function: cst.FunctionDef | None,
    ) -> None:
        ctx = self.context
        call = bare_call(statement)
        assert call is not None
        fix = None
        if function is not None and rest:
            edit = _wrap_rest_in_with(ctx, statement, rest, ctx.code(call))
            if edit is not None:
                fix = self.make_fix([edit], Applicability.UNSAFE, "Turn it into a `with` block")
        self.report(
            call,
            f"`{ctx.code(call)}` switches autograd globally: use `with {ctx.code(call)}:` "
            "around the code that needs it",
            fix=fix,
        )

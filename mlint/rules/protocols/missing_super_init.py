"""ML503 `missing-super-init`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.bindings import is_rebound
from mlint.analysis.imports import dotted_name
from mlint.analysis.modules import is_module_constructor, walk_statements
from mlint.rule import Rule, register
from mlint.rules.protocols._shared import (
    _descendants,
    _is_docstring,
    _is_stub,
    _is_super_call,
    _methods,
    _self_attribute,
)
from mlint.types import Applicability, Edit, Fix, FixAvailability

# ---------------------------------------------------------------------------
# Shared helpers for ML502-ML507.

_NN_MODULE = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})


@register
class MissingSuperInit(Rule):
    """## What it does
    Checks for `nn.Module` subclasses whose `__init__` never calls `super().__init__()`,
    or assigns `self.<attr>` before calling it.

    ## Why is this bad?
    `nn.Module.__init__` creates the registries (`_parameters`, `_modules`, `_buffers`,
    hooks) that attribute assignment writes into. Without it, the first
    `self.layer = nn.Linear(...)` raises `AttributeError: cannot assign module before
    Module.__init__() call`; a module that only stores plain values fails later, in
    `.to()`, `state_dict()` or the first call. Assigning attributes before the call works
    only for plain values and breaks as soon as one of them becomes a module, parameter
    or buffer.

    ## Example
    ```python
    class Head(nn.Module):
        def __init__(self, dim):
            self.proj = nn.Linear(dim, 1)
    ```

    ## Use instead
    ```python
    class Head(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.proj = nn.Linear(dim, 1)
    ```

    ## Fix safety
    The fix is safe, and offered only when the class's sole base is `nn.Module` itself
    (whose `__init__` takes no arguments): it inserts `super().__init__()` as the first
    statement (after the docstring), or moves a later bare `super().__init__()` there.
    Other bases may need constructor arguments, so they get no fix. `Base.__init__(self)`
    counts as the call; stub `__init__`s (`...`, `raise NotImplementedError`,
    `@overload`) are not reported.

    ## Pattern
    `mlint.patterns.protocols.MLP`
    """

    code = "ML503"
    name = "missing-super-init"
    message = "`nn.Module` subclass `__init__` does not call `super().__init__()` first"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("Module", "Sequential")
    pattern = "mlint.patterns.protocols.MLP"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        init = _methods(node).get("__init__")
        if init is None or not isinstance(init.body, cst.IndentedBlock) or _is_stub(init):
            return
        ctx = self.context
        if not ctx.classes.is_module(node):
            return
        # Another base's `__init__` may read attributes set before it (template methods),
        # so plain early assignments count only when `super()` is `nn.Module` itself.
        direct_nn_module = ctx.classes.direct_base_is(node, _NN_MODULE)
        early: cst.BaseSmallStatement | None = None
        super_stmt: cst.BaseSmallStatement | None = None
        selfless: cst.Call | None = None
        for small in walk_statements(init.body):
            calls = [n for n in _descendants(small) if isinstance(n, cst.Call)]
            if any(_is_super_call(n, "__init__") for n in calls):
                super_stmt = small
                break
            selfless = selfless or next((n for n in calls if _is_selfless_init(n)), None)
            if (
                early is None
                and _assigns_self_attribute(small)
                and (direct_nn_module or self._assigns_module(small))
            ):
                early = small
        if super_stmt is not None and early is None:
            return
        sole_nn_module = len(node.bases) == 1 and direct_nn_module
        if super_stmt is None:
            if selfless is not None:
                self.report(
                    selfless,
                    f"`{ctx.code(selfless.func)}()` is called without `self`: "
                    "use `super().__init__()`",
                )
                return
            fix = self._insert_fix(init) if sole_nn_module and self._super_is_builtin() else None
            self.report(
                init.name,
                f"`{node.name.value}.__init__` never calls `super().__init__()`: "
                "call it first so parameters and submodules register",
                fix=fix,
            )
            return
        assert early is not None
        fix = None
        if sole_nn_module and self._is_bare_top_level(init, super_stmt):
            fix = self._move_fix(init, super_stmt)
        target = _self_target(early)
        self.report(
            early,
            f"`self.{target}` is assigned before `super().__init__()`: call it first",
            fix=fix,
        )

    def _assigns_module(self, small: cst.BaseSmallStatement) -> bool:
        ctx = self.context
        value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
        return isinstance(value, cst.Call) and is_module_constructor(
            value, ctx.imports, ctx.classes
        )

    def _insert_edits(self, init: cst.FunctionDef) -> list[Edit]:
        """Insert ``super().__init__()`` at the top of the body, after a docstring, above comments."""
        ctx = self.context
        source = ctx.source
        statements = list(init.body.body)
        first = statements[0]
        indent = ctx.line_indent(first)
        call = f"{indent}super().__init__()\n"
        if _is_docstring(first):
            _, end = ctx.span(first)
            line_end = source.find("\n", end)
            if line_end < 0:
                return [Edit(len(source), len(source), "\n" + call.rstrip("\n"))]
            return [Edit(line_end + 1, line_end + 1, call)]
        start, _ = ctx.span(first)
        line_start = source.rfind("\n", 0, start) + 1
        for _ in getattr(
            first, "leading_lines", ()
        ):  # keep comments above the first statement with it
            line_start = source.rfind("\n", 0, line_start - 1) + 1
        return [Edit(line_start, line_start, call)]

    def _super_is_builtin(self) -> bool:
        return not is_rebound(self.context, "super")

    def _insert_fix(self, init: cst.FunctionDef) -> Fix:
        return self.make_fix(
            self._insert_edits(init), Applicability.SAFE, "Call `super().__init__()`"
        )

    def _is_bare_top_level(self, init: cst.FunctionDef, small: cst.BaseSmallStatement) -> bool:
        """A lone ``super().__init__()`` line directly in the body, without arguments."""
        if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
            return False
        if small.value.args or not isinstance(small.value.func, cst.Attribute):
            return False
        receiver = small.value.func.value
        if not (isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name)):
            return False
        return any(
            isinstance(stmt, cst.SimpleStatementLine) and list(stmt.body) == [small]
            for stmt in init.body.body
        )

    def _move_fix(self, init: cst.FunctionDef, small: cst.BaseSmallStatement) -> Fix:
        ctx = self.context
        start, end = ctx.span(small)
        line_start = ctx.source.rfind("\n", 0, start) + 1
        line_end = ctx.source.find("\n", end)
        line_end = len(ctx.source) if line_end < 0 else line_end + 1
        edits = [*self._insert_edits(init), Edit(line_start, line_end, "")]
        return self.make_fix(edits, Applicability.SAFE, "Call `super().__init__()` first")


def _is_selfless_init(call: cst.Call) -> bool:
    """``nn.Module.__init__()``: an unbound ``__init__`` called without an instance."""
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == "__init__"
        and not isinstance(func.value, cst.Call)
        and not call.args
        and dotted_name(func.value) not in (None, "self")
    )


def _self_target(small: cst.BaseSmallStatement) -> str | None:
    """The attribute name of the first ``self.x`` target of an assignment statement."""
    targets: list[cst.BaseExpression] = []
    if isinstance(small, cst.Assign):
        targets = [t.target for t in small.targets]
    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
        targets = [small.target]
    while targets:
        target = targets.pop(0)
        if isinstance(target, (cst.Tuple, cst.List)):
            targets[:0] = [e.value for e in target.elements]
        elif (name := _self_attribute(target)) is not None:
            return name
    return None


def _assigns_self_attribute(small: cst.BaseSmallStatement) -> bool:
    return _self_target(small) is not None

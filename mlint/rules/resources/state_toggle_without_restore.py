"""ML203 `state-toggle-without-restore`: the rule and the helpers only it uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from mlint.analysis.blocks import (
    SET_GRAD_ENABLED,
    bare_call,
    iter_nodes,
    method_call,
    sole_small,
    statement_blocks,
)
from mlint.rule import Rule, register
from mlint.rules.resources._shared import _is_false

_PROFILERS = frozenset(
    {"torch.profiler.profile", "torch.autograd.profiler.profile", "torch.profiler._KinetoProfile"}
)


@dataclass(frozen=True)
class _Toggle:
    """One half of a hand-made state change: what it changes and to which value."""

    key: tuple[str, ...]
    value: str
    node: cst.CSTNode
    describe: str


_TOGGLE_HELP = {
    "mode": (
        "put the undo in `try:` … `finally:` (or write a small context manager; "
        "`mlint.patterns.resources.eval_mode` is one to read)"
    ),
    "grad": "use `with torch.set_grad_enabled(...):` (or `with torch.no_grad():`)",
    "backends": "set it in a `try`/`finally` (or a context manager) that restores the old value",
    "profiler": "use `with {target}:` (profilers are context managers)",
}


def _rebinds(statements: Sequence[cst.BaseStatement], key: tuple[str, ...]) -> bool:
    """Whether ``statements`` rebind the toggled receiver's root name (another object then)."""
    root = key[1].split(".")[0] if key[0] == "mode" else "self"
    if root == "self":
        return False
    for statement in statements:
        for node in iter_nodes(statement):
            target: cst.BaseExpression | None = None
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.For)):
                target = node.target
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                target = node.asname.name
            if target is None:
                continue
            names = [target] if isinstance(target, cst.Name) else list(iter_nodes(target))
            if any(isinstance(n, cst.Name) and n.value == root for n in names):
                return True
    return False


@register
class StateToggleWithoutRestore(Rule):
    """## What it does
    Checks for a state change undone by hand later in the same block, with code in
    between and no `try`/`finally`: `model.eval()` … `model.train()`,
    `torch.set_grad_enabled(a)` … `torch.set_grad_enabled(b)`,
    `torch.backends.cudnn.benchmark = x` … `= y`, `prof.start()` … `prof.stop()`.

    ## Why is this bad?
    If anything in between raises and the exception is caught further up (a retry, an
    interactive session, a hyperparameter search, a test runner), the model stays in eval
    mode, autograd stays off or the profiler keeps running, and the next step is silently
    wrong. A context manager restores the state on every path.

    Not reported: a change and its undo with nothing between them, undo code in a
    `finally`, pairs in top-level script code (an exception ends the script), pairs in two
    notebook cells (no `try` can span cells), and pairs whose receiver is rebound between
    them (`model = load(...)`: another object).

    This rule is opt-in: select it with `--select ML203`; on real application code
    (training scripts, notebooks, trainer callbacks) an exception ends the run, so most of
    its findings were technically right but not worth changing. Enable it for libraries and
    long-running services, where a caller may catch the exception and carry on.

    ## Example
    ```python
    def validate(model, loader):
        model.eval()
        loss = evaluate(model, loader)
        model.train()
        return loss
    ```

    ## Use instead
    ```python
    from mlint.patterns.resources import eval_mode

    def validate(model, loader):
        with eval_mode(model):
            return evaluate(model, loader)
    ```
    (`eval_mode` also restores each submodule's own flag, so parts deliberately kept in
    eval mode stay that way.)

    ## Fix safety
    No fix: the right restore (previous value or the written one) needs a human.

    ## Pattern
    `mlint.patterns.resources.train_mode`
    """

    default: ClassVar[bool] = False
    code = "ML203"
    name = "state-toggle-without-restore"
    message = "State changed and restored by hand without `try`/`finally`: use a context manager"
    triggers = (".eval()", ".train(", "set_grad_enabled", "torch.backends", "cudnn.", ".start()")
    pattern = "mlint.patterns.resources.train_mode"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._check(node.body, node)

    def _check(self, body: cst.BaseSuite | cst.Module, function: cst.FunctionDef | None) -> None:
        profilers = self._profilers(body)
        for block in statement_blocks(body):
            toggles = [self._toggle(s, profilers) for s in block]
            for index, first in enumerate(toggles):
                if first is None or first.value in ("train", "stop"):
                    continue
                for later_index in range(index + 1, len(block)):
                    later = toggles[later_index]
                    if later is None or later.key != first.key:
                        continue
                    if (
                        later.value != first.value
                        and later_index > index + 1
                        and self.context.same_cell(first.node, later.node)
                        and not _rebinds(block[index + 1 : later_index], first.key)
                    ):
                        self._report(first, later)
                    break

    def _profilers(self, body: cst.CSTNode) -> frozenset[str]:
        ctx = self.context
        if ".start()" not in ctx.source:
            return frozenset()  # no profiler is started anywhere: skip the scan
        names = set()
        for statement in iter_nodes(body):
            if (
                isinstance(statement, cst.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0].target, cst.Name)
                and isinstance(statement.value, cst.Call)
                and ctx.imports.qualified(statement.value.func) in _PROFILERS
            ):
                names.add(statement.targets[0].target.value)
        return frozenset(names)

    def _toggle(self, statement: cst.BaseStatement, profilers: frozenset[str]) -> _Toggle | None:
        ctx = self.context
        small = sole_small(statement)
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = ctx.imports.resolve(small.targets[0].target)
            if target is not None and target.name.startswith("torch.backends."):
                return _Toggle(
                    ("backends", target.name), ctx.render(small.value), small, target.name
                )
            return None
        call = bare_call(statement)
        if call is None:
            return None
        qualified = ctx.imports.qualified(call.func)
        if qualified in SET_GRAD_ENABLED and len(call.args) == 1:
            return _Toggle(("grad",), ctx.render(call.args[0].value), call, "autograd")
        if qualified in ("torch.cuda.profiler.start", "torch.cuda.profiler.stop"):
            value = qualified.rpartition(".")[2]
            return _Toggle(("profiler", "cuda"), value, call, "the CUDA profiler")
        called = method_call(call)
        if called is None:
            return None
        receiver, method = called
        if method == "eval" and not call.args:
            return _Toggle(("mode", receiver), "eval", call, receiver)
        if method == "train" and len(call.args) <= 1:
            if call.args and _is_false(call.args[0].value):
                return _Toggle(("mode", receiver), "eval", call, receiver)
            if not call.args or ctx.render(call.args[0].value) == "True":
                return _Toggle(("mode", receiver), "train", call, receiver)
            return _Toggle(("mode", receiver), "other", call, receiver)
        if method in ("start", "stop") and receiver in profilers and not call.args:
            return _Toggle(("profiler", receiver), method, call, receiver)
        return None

    def _report(self, first: _Toggle, later: _Toggle) -> None:
        ctx = self.context
        kind = first.key[0]
        help_text = _TOGGLE_HELP[kind].format(target=first.describe)
        self.report(
            first.node,
            f"`{ctx.code(first.node)}` is undone by `{ctx.code(later.node)}` on {ctx.line_label(later.node)} "
            f"but not in a `finally`: an exception leaks the state; {help_text}",
        )

"""ML201 `inference-without-no-grad`: the rule and the helpers only it uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

import libcst as cst

from mlint.analysis.blocks import (
    GRAD_ON,
    SET_GRAD_ENABLED,
    decorator_grad_mode,
    grad_mode_at,
    iter_nodes,
    method_call,
)
from mlint.analysis.imports import dotted_name
from mlint.rule import FileContext, Rule, register
from mlint.rules.resources._shared import _enclosing_class, _is_false, _line_start, _proven_modules
from mlint.types import Applicability, Edit, FixAvailability

# First word of a function name that makes it an inference entry point.
_INFERENCE_WORDS = frozenset(
    {
        "predict",
        "prediction",
        "infer",
        "inference",
        "evaluate",
        "evaluation",
        "eval",
        "validate",
        "validation",
        "test",
    }
)

# Lightning runs these under `torch.no_grad()`/`inference_mode()` itself.
_FRAMEWORK_NO_GRAD_HOOKS = frozenset(
    {
        "validation_step",
        "test_step",
        "predict_step",
        "validation_step_end",
        "test_step_end",
        "validation_epoch_end",
        "test_epoch_end",
    }
)

# Methods and attributes whose presence means the function wants gradients.
_GRADIENT_SIGNALS = frozenset(
    {"backward", "step", "zero_grad", "requires_grad", "requires_grad_", "grad"}
)


def _is_test_file(path: str) -> bool:
    pure = PurePath(path)
    name = pure.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name in ("tests.py", "test.py")
        or name == "conftest.py"
        or any(part in ("tests", "test") for part in pure.parts[:-1])
    )


def _repeated(call: cst.Call, function: cst.FunctionDef) -> bool:
    """Whether ``call`` sits in a loop or comprehension of ``function``."""
    for node in iter_nodes(function.body):
        if isinstance(
            node, (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
        ) and any(inner is call for inner in iter_nodes(node)):
            return True
    return False


def _torch_name(ctx: FileContext) -> str | None:
    """How this file spells ``torch.no_grad`` (``torch.no_grad``, ``th.no_grad``, ``no_grad``)."""
    names = ctx.imports.names
    for local, qualified in names.items():
        if qualified == "torch":
            return f"{local}.no_grad"
    for local, qualified in names.items():
        if qualified == "torch.no_grad":
            return local
    return None


@dataclass
class _Scope:
    """What ML201 learns about one function while the walker is inside it."""

    node: cst.FunctionDef
    eval_receivers: set[str] = field(default_factory=set)
    wants_gradients: bool = False
    unguarded: list[tuple[cst.Call, str]] = field(default_factory=list)


@register
class InferenceWithoutNoGrad(Rule):
    """## What it does
    Checks for inference functions (ones that call `model.eval()`, or named `predict*`,
    `infer*`, `evaluate*`, `validate*`, `test*`) that call an `nn.Module` outside any
    `torch.no_grad()` / `torch.inference_mode()` / `set_grad_enabled(False)` block or
    decorator.

    ## Why is this bad?
    `model.eval()` only switches dropout and batch norm to inference behaviour; it does
    not turn autograd off. Every forward pass still records the graph and keeps every
    activation alive for a backward pass that never comes: several times the memory and
    noticeably slower.

    Only calls of a proven module are reported: a name built by a module constructor, a
    `self.x` assigned one in `__init__`, `self` in an `nn.Module`, or a receiver whose
    `.eval()` the function calls. Functions that compute gradients (`.backward()`,
    `.step()`, `.grad`, `requires_grad`, `torch.enable_grad`, `torch.autograd.*`) are
    skipped, as are Lightning's `validation_step`/`test_step`/`predict_step` (the trainer
    already disables gradients), test files (a forward on toy inputs costs nothing
    measurable), and, in notebooks, a model call outside any loop (a
    helper run on one or two inputs). A `predict*` method of a class
    with `forward` (or of an `nn.Module`) is a head inside the forward graph, so only its
    `.eval()` makes it an entry; a function that this file calls only from code that
    already runs with gradients off (`self.encode_prompt(...)` inside a `@torch.no_grad()`
    `__call__`) is a helper and stays silent. `model.generate(...)` is not
    reported: Hugging Face's `generate` is already decorated with `torch.no_grad()`.

    ## Example
    ```python
    def predict(model, batch):
        model.eval()
        return model(batch)
    ```

    ## Use instead
    ```python
    @torch.no_grad()
    def predict(model, batch):
        model.eval()
        return model(batch)
    ```

    ## Fix safety
    The fix adds `@torch.no_grad()` to the function. It is unsafe: a caller may rely on
    the outputs requiring gradients.

    ## Pattern
    `mlint.patterns.resources.inference`
    """

    code = "ML201"
    name = "inference-without-no-grad"
    message = "Inference runs with autograd on: use `torch.no_grad()` or `torch.inference_mode()`"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("eval(", "def predict", "def infer", "def eval", "def valid", "def test")
    pattern = "mlint.patterns.resources.inference"

    def __init__(self, context: FileContext, options: object = None) -> None:
        super().__init__(context, options)
        self._scopes: list[_Scope] = []
        # Callee name -> for each call site in the file: whether it runs with grad off, and
        # the name of the function it is written in.
        self._call_sites: dict[str, list[tuple[bool, str | None]]] = {}
        # Receivers of `.freeze()` (LightningModule: every parameter stops requiring grad).
        self._frozen: set[str] = set()
        self._pending: list[tuple[cst.FunctionDef, cst.Call, str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(_Scope(node))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._scopes and node.attr.value in _GRADIENT_SIGNALS:
            self._scopes[-1].wants_gradients = True

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        mode = grad_mode_at(ctx.ancestors, ctx.imports)
        func = node.func
        target = func.attr if isinstance(func, cst.Attribute) else func
        caller = self._scopes[-1].node.name.value if self._scopes else None
        if isinstance(target, cst.Name):
            self._call_sites.setdefault(target.value, []).append((mode is False, caller))
        called = method_call(node)
        if called is not None and called[1] == "freeze" and not node.args:
            self._frozen.add(called[0])
        if not self._scopes:
            return
        scope = self._scopes[-1]
        if called is not None and (
            (called[1] == "eval" and not node.args)
            or (called[1] == "train" and len(node.args) == 1 and _is_false(node.args[0].value))
        ):
            scope.eval_receivers.add(called[0])
            return
        qualified = ctx.imports.qualified(node.func) or ""
        if (
            qualified in GRAD_ON
            or qualified in SET_GRAD_ENABLED
            or qualified.startswith("torch.autograd.")
        ):
            scope.wants_gradients = True
            return
        callee = dotted_name(node.func)
        if callee is not None and mode is None:
            scope.unguarded.append((node, callee))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        scope = self._scopes.pop()
        if scope.wants_gradients or not scope.unguarded:
            return
        name = node.name.value
        if (
            name in _FRAMEWORK_NO_GRAD_HOOKS
            or decorator_grad_mode(node, self.context.imports) is not None
        ):
            return
        ctx = self.context
        if _is_test_file(ctx.path):
            return  # a test's forward on toy inputs: autograd costs nothing measurable
        cls = _enclosing_class(ctx.ancestors)
        if not scope.eval_receivers and not self._named_entry(node, cls):
            return
        proven = _proven_modules(ctx, node, cls) | scope.eval_receivers
        for call, callee in scope.unguarded:
            if ctx.cells and not _repeated(call, node):
                continue  # a notebook helper run once or twice: negligible cost
            if callee in proven:
                self._pending.append((node, call, callee))
                return

    def leave_Module(self, node: cst.Module) -> None:
        for function, call, callee in self._pending:
            if self._grad_off_callers(function.name.value, 3):
                continue  # a helper that this file only reaches with grad off
            if callee in self._frozen:
                continue  # `model.freeze()`: no parameter requires grad
            self._report(function, call, callee)

    def _grad_off_callers(self, name: str, depth: int) -> bool:
        """Whether every call of ``name`` in this file runs with grad off, directly or
        through callers (up to ``depth`` calls up) that all do."""
        sites = self._call_sites.get(name, [])
        if not sites or depth == 0:
            return False
        return all(
            off
            or (caller is not None and caller != name and self._grad_off_callers(caller, depth - 1))
            for off, caller in sites
        )

    def _named_entry(self, function: cst.FunctionDef, cls: cst.ClassDef | None) -> bool:
        """An inference entry by name: not in a test file, not a method of a module.

        A `predict*` method of a class with `forward` is part of the forward graph
        (a head), which training differentiates through.
        """
        if function.name.value.lstrip("_").split("_")[0] not in _INFERENCE_WORDS:
            return False
        if _is_test_file(self.context.path):
            return False
        if cls is None:
            return True
        if self.context.classes.is_module(cls):
            return False
        return not any(
            isinstance(s, cst.FunctionDef) and s.name.value == "forward" for s in cls.body.body
        )

    def _report(self, function: cst.FunctionDef, call: cst.Call, callee: str) -> None:
        ctx = self.context
        decorator = _torch_name(ctx)
        fix = None
        name_start, _ = ctx.span(function.name)
        line_start = _line_start(ctx.source, name_start)
        before = ctx.source[line_start:name_start]
        if decorator is not None and before.strip() == "def":
            indent = before[: len(before) - len(before.lstrip())]
            fix = self.make_fix(
                [Edit(line_start, line_start, f"{indent}@{decorator}()\n")],
                Applicability.UNSAFE,
                f"Decorate `{function.name.value}` with `@{decorator}()`",
            )
        self.report(
            call,
            f"`{callee}(...)` runs with autograd on in inference function "
            f"`{function.name.value}`: wrap it in `torch.no_grad()` or `torch.inference_mode()`",
            fix=fix,
        )

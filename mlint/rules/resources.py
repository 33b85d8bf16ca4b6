"""Pillar 2: context managers (ML2xx)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

import libcst as cst

from mlint.analysis.blocks import (
    GRAD_ON,
    SET_GRAD_ENABLED,
    bare_call,
    decorator_grad_mode,
    grad_mode_at,
    has_multiline_string,
    indent_lines,
    iter_calls,
    iter_nodes,
    method_call,
    names_used,
    small_statements,
    sole_small,
    statement_blocks,
)
from mlint.analysis.imports import dotted_name
from mlint.analysis.modules import init_module_attributes, local_module_names
from mlint.rule import FileContext, Rule, register
from mlint.types import Applicability, Edit, Fix, FixAvailability
from mlint.walker import children

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
_DETECT_ANOMALY = frozenset(
    {"torch.autograd.set_detect_anomaly", "torch.autograd.anomaly_mode.set_detect_anomaly"}
)
_GLOBAL_TOGGLES = SET_GRAD_ENABLED | _DETECT_ANOMALY
_CLOCKS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "timeit.default_timer",
    }
)
# Calls that make the host wait for the device (or copy a result back to it).
_SYNC_METHODS = frozenset({"synchronize", "item", "cpu", "numpy", "tolist", "elapsed_time"})
_SYNC_FUNCTIONS = frozenset(
    {"float", "int", "bool", "numpy.array", "numpy.asarray", "torch.cuda.synchronize"}
)
# `torch.*` calls that launch no device work.
_TORCH_HOST_PREFIXES = (
    "torch.cuda.",
    "torch.backends.",
    "torch.distributed.",
    "torch.utils.",
    "torch.jit.",
    "torch.onnx.",
    "torch.export.",
    "torch.hub.",
    "torch._",
    "torch.set_",
    "torch.get_",
    "torch.is_",
    "torch.profiler.",
    "torch.autograd.profiler.",
)
_TORCH_HOST_CALLS = frozenset(
    {
        "torch.device",
        "torch.load",
        "torch.save",
        "torch.manual_seed",
        "torch.compile",
        "torch.from_numpy",
        "torch.no_grad",
        "torch.inference_mode",
        "torch.enable_grad",
        "torch.autocast",
        "torch.Generator",
        "torch.finfo",
        "torch.iinfo",
        "torch.Size",
        "torch.dtype",
    }
)
# Factory functions: host work unless given a `device=`.
_TORCH_FACTORIES = frozenset(
    {
        "tensor",
        "as_tensor",
        "zeros",
        "ones",
        "empty",
        "full",
        "arange",
        "linspace",
        "logspace",
        "eye",
        "rand",
        "randn",
        "randint",
        "randperm",
        "Tensor",
        "LongTensor",
        "FloatTensor",
    }
)
_EMPTY_CACHE = "torch.cuda.empty_cache"
_PROFILERS = frozenset(
    {"torch.profiler.profile", "torch.autograd.profiler.profile", "torch.profiler._KinetoProfile"}
)


def _is_test_file(path: str) -> bool:
    pure = PurePath(path)
    name = pure.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in ("tests", "test") for part in pure.parts[:-1])
    )


def _enclosing_class(ancestors: Sequence[cst.CSTNode]) -> cst.ClassDef | None:
    """The class a method is defined in directly (not through a nested function)."""
    for node in reversed(ancestors):
        if isinstance(node, cst.ClassDef):
            return node
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return None
    return None


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


def _line_start(source: str, offset: int) -> int:
    return source.rfind("\n", 0, offset) + 1


def _line_end(source: str, offset: int) -> int:
    end = source.find("\n", offset)
    return len(source) if end < 0 else end


def _wrap_rest_in_with(
    ctx: FileContext,
    first: cst.BaseStatement,
    rest: Sequence[cst.BaseStatement],
    header: str,
    drop_last: bool = False,
) -> Edit | None:
    """Replace ``first`` with ``with <header>:`` over ``rest`` (re-indented one level).

    With ``drop_last`` the last statement of ``rest`` (an explicit close) is removed.
    ``None`` when re-indenting is not safe (a multi-line string would change).
    """
    body = rest[:-1] if drop_last else rest
    if not body or any(has_multiline_string(s) for s in body):
        return None
    source = ctx.source
    start, first_end = ctx.span(first)
    comment_end = _line_end(source, first_end)
    comment = source[first_end:comment_end]
    if drop_last:
        last_start, last_end = ctx.span(rest[-1])
        body_text = source[comment_end + 1 : _line_start(source, last_start)]
        end = min(_line_end(source, last_end) + 1, len(source))
        if not body_text.endswith("\n"):
            return None
    else:
        end = ctx.span(rest[-1])[1]
        body_text = source[comment_end + 1 : end]
    unit = ctx.module.default_indent
    return Edit(start, end, f"with {header}:{comment}\n{indent_lines(body_text, unit)}")


def _proven_modules(
    ctx: FileContext, function: cst.FunctionDef, cls: cst.ClassDef | None
) -> frozenset[str]:
    """Dotted names that hold an ``nn.Module`` inside ``function``."""
    proven = set(local_module_names(function.body, ctx.imports, ctx.classes))
    if cls is not None:
        if ctx.classes.is_module(cls):
            proven.add("self")
        proven |= {f"self.{name}" for name in init_module_attributes(cls, ctx.imports, ctx.classes)}
    params = {p.name.value for p in function.params.params}
    params |= {p.name.value for p in function.params.kwonly_params}
    params |= {p.name.value for p in function.params.posonly_params}
    assigned = {
        n.value
        for n in iter_nodes(function.body)
        if isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Name)
        for n in (n.target,)
    }
    module_level = local_module_names(ctx.module, ctx.imports, ctx.classes)
    proven |= module_level - params - assigned
    return frozenset(proven)


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
    already disables gradients) and, in test files, functions that do not call `.eval()`
    (pytest's `test_*` are not inference entry points). A `predict*` method of a class
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
        # Callee name -> for each call site in the file, whether it runs with grad off.
        self._call_sites: dict[str, list[bool]] = {}
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
        if isinstance(target, cst.Name):
            self._call_sites.setdefault(target.value, []).append(mode is False)
        if not self._scopes:
            return
        scope = self._scopes[-1]
        called = method_call(node)
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
        cls = _enclosing_class(ctx.ancestors)
        if not scope.eval_receivers and not self._named_entry(node, cls):
            return
        proven = _proven_modules(ctx, node, cls) | scope.eval_receivers
        for call, callee in scope.unguarded:
            if callee in proven:
                self._pending.append((node, call, callee))
                return

    def leave_Module(self, node: cst.Module) -> None:
        for function, call, callee in self._pending:
            sites = self._call_sites.get(function.name.value, [])
            if sites and all(sites):
                continue  # a helper that this file only calls with grad off
            self._report(function, call, callee)

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


def _exposes(expr: cst.CSTNode, name: str) -> bool:
    """Whether evaluating ``expr`` yields ``name`` itself (inside a container, a conditional...).

    Attribute reads, subscripts and calls of it (``f.read()``, ``f["x"]``) do not; call
    arguments are judged by ``UnmanagedResource._passes``.
    """
    if isinstance(expr, cst.Name):
        return expr.value == name
    if isinstance(expr, (cst.Attribute, cst.Subscript)):
        return not (isinstance(expr.value, cst.Name) and expr.value.value == name) and _exposes(
            expr.value, name
        )
    if isinstance(expr, (cst.Call, cst.Lambda)):
        return False
    return any(_exposes(child, name) for child in children(expr))


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


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

    Not reported: the `with` form, a toggle that the same block later switches back
    (ML203 reports that pair), code that restores the setting in a `finally`, and
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
                rest = block[index + 1 :]
                if any(_toggle_name(s, ctx, family) for s in rest):
                    continue  # switched back by hand: ML203
                if _restores_in_finally(body, ctx, family):
                    continue
                self._report(statement, rest, function)

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


@dataclass(frozen=True)
class _Toggle:
    """One half of a hand-made state change: what it changes and to which value."""

    key: tuple[str, ...]
    value: str
    node: cst.CSTNode
    describe: str


_TOGGLE_HELP = {
    "mode": "use `with eval_mode({target}):` (`mlint.patterns.resources.eval_mode`)",
    "grad": "use `with torch.set_grad_enabled(...):`",
    "backends": "set it in a `try`/`finally` (or a context manager) that restores the old value",
    "profiler": "use `with {target}:` (profilers are context managers)",
}


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

    Not reported: a change and its undo with nothing between them, and undo code in a
    `finally`.

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

    code = "ML203"
    name = "state-toggle-without-restore"
    message = "State changed and restored by hand without `try`/`finally`: use a context manager"
    triggers = (".eval()", ".train(", "set_grad_enabled", "torch.backends", "cudnn.", ".start()")
    pattern = "mlint.patterns.resources.train_mode"

    def visit_Module(self, node: cst.Module) -> None:
        self._check(node, None)

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
                    if later.value != first.value and later_index > index + 1:
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
        line = ctx.code_range(later.node).start.line
        kind = first.key[0]
        help_text = _TOGGLE_HELP[kind].format(target=first.describe)
        self.report(
            first.node,
            f"`{ctx.code(first.node)}` is undone by `{ctx.code(later.node)}` on line {line} "
            f"but not in a `finally`: an exception leaks the state; {help_text}",
        )


@dataclass
class _GpuFacts:
    """Per-function facts ML204 needs to call something GPU work."""

    modules: frozenset[str]


@register
class CudaTimingWithoutSync(Rule):
    """## What it does
    Checks for two wall-clock reads (`time.time()`, `time.perf_counter()`,
    `time.monotonic()`) in the same block around GPU work (`.cuda()`, `.to(device)`, a
    call of a proven `nn.Module`, a `torch.*` operation) with no synchronization point
    before the second read. Only files that mention CUDA or devices are checked.

    ## Why is this bad?
    CUDA kernels run asynchronously: the Python call returns as soon as the kernel is
    queued. Without `torch.cuda.synchronize()` (or anything that waits for a result:
    `.item()`, `.cpu()`, `.numpy()`, `.tolist()`, `Event.synchronize()`) before the
    second read, the measurement is the launch time, not the run time, and the real cost
    shows up in whatever line syncs next.

    Only GPU work written between the two reads counts; a call of another function
    there is not assumed to use the GPU.

    ## Example
    ```python
    start = time.perf_counter()
    out = model(x.cuda())
    elapsed = time.perf_counter() - start
    ```

    ## Use instead
    ```python
    from mlint.patterns.resources import cuda_timer

    with cuda_timer() as timing:
        out = model(x.cuda())
    elapsed_ms = timing.elapsed_ms
    ```

    ## Fix safety
    No fix: where to synchronize depends on what is being measured.

    ## Pattern
    `mlint.patterns.resources.cuda_timer`
    """

    code = "ML204"
    name = "cuda-timing-without-sync"
    message = "Wall-clock timing of GPU work without `torch.cuda.synchronize()`"
    triggers = ("perf_counter", "time()", "monotonic", "default_timer")
    pattern = "mlint.patterns.resources.cuda_timer"

    def visit_Module(self, node: cst.Module) -> None:
        source = self.context.source
        self._enabled = "cuda" in source or "device" in source
        if self._enabled:
            self._check(
                node,
                _GpuFacts(local_module_names(node, self.context.imports, self.context.classes)),
            )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._enabled:
            return
        ctx = self.context
        modules = _proven_modules(ctx, node, _enclosing_class(ctx.ancestors))
        receivers = {
            called[0]
            for call in iter_calls(node.body)
            for called in (method_call(call),)
            if called is not None and called[1] in ("eval", "cuda", "to")
        }
        self._check(node.body, _GpuFacts(modules | receivers))

    def _clock(self, node: cst.CSTNode) -> cst.Call | None:
        """The first clock read in ``node`` (outside nested scopes)."""
        for call in iter_calls(node):
            resolved = self.context.imports.resolve(call.func)
            if resolved is not None and resolved.certain and resolved.name in _CLOCKS:
                return call
        return None

    def _check(self, body: cst.BaseSuite | cst.Module, facts: _GpuFacts) -> None:
        for block in statement_blocks(body):
            start = None
            for index, statement in enumerate(block):
                if not isinstance(statement, cst.SimpleStatementLine):
                    if start is not None and self._clock(statement) is not None:
                        start = None  # a read inside a nested block: not straight-line
                    continue
                for small_index, small in enumerate(small_statements(statement)):
                    read = self._clock(small)
                    if read is None:
                        continue
                    if start is not None:
                        between: list[cst.CSTNode] = list(block[start[0] + 1 : index])
                        between.extend(small_statements(statement)[:small_index])
                        if self._gpu_work_unsynced(between, facts):
                            self.report(
                                read,
                                f"`{self.context.code(read.func)}()` reads the clock while "
                                "CUDA kernels may still run: call `torch.cuda.synchronize()` "
                                "before it",
                            )
                    start = (index, small_index)

    def _gpu_work_unsynced(self, nodes: Sequence[cst.CSTNode], facts: _GpuFacts) -> bool:
        gpu = False
        for node in nodes:
            for call in iter_calls(node):
                kind = self._kind(call, facts)
                if kind == "sync":
                    return False
                gpu = gpu or kind == "gpu"
        return gpu

    def _kind(self, call: cst.Call, facts: _GpuFacts) -> str | None:
        ctx = self.context
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in _SYNC_METHODS:
                return "sync"
            if method == "cuda":
                return "gpu"
            if method == "to" and call.args:
                device = call.args[0].value
                if isinstance(device, cst.SimpleString) and "cpu" in device.value:
                    return "sync"
                return "gpu"
        resolved = ctx.imports.resolve(func)
        if resolved is None:
            return None
        name = resolved.name
        if name in _SYNC_FUNCTIONS:
            return "sync"
        callee = dotted_name(func)
        if callee is not None and callee in facts.modules:
            return "gpu"
        if not resolved.certain or not name.startswith("torch."):
            return None
        if name in _TORCH_HOST_CALLS or name.startswith(_TORCH_HOST_PREFIXES):
            return None
        if name.rpartition(".")[2] in _TORCH_FACTORIES:
            factory_device = next(
                (a.value for a in call.args if a.keyword and a.keyword.value == "device"), None
            )
            if factory_device is None or (
                isinstance(factory_device, cst.SimpleString) and "cpu" in factory_device.value
            ):
                return None
        return "gpu"


@register
class EmptyCacheInLoop(Rule):
    """## What it does
    Checks for `torch.cuda.empty_cache()` inside a loop body.

    ## Why is this bad?
    `empty_cache()` hands the caching allocator's free blocks back to the driver; the
    next iteration has to `cudaMalloc` them again, which is slow and synchronizes the
    device. It frees no memory that tensors still use, so it cannot fix an
    out-of-memory error either. Release once, when a phase ends, if another process
    needs the memory.

    Not reported: calls in an `except` block (recovering from an out-of-memory error
    and retrying is a legitimate use) and calls in a function defined inside a loop.

    ## Example
    ```python
    for batch in loader:
        loss = step(model, batch)
        torch.cuda.empty_cache()
    ```

    ## Use instead
    ```python
    from mlint.patterns.resources import cuda_memory_scope

    with cuda_memory_scope() as memory:
        for batch in loader:
            loss = step(model, batch)
    print(memory.peak_allocated)
    ```

    ## Fix safety
    No fix: moving the call changes when memory is returned.

    ## Pattern
    `mlint.patterns.resources.cuda_memory_scope`
    """

    code = "ML205"
    name = "empty-cache-in-loop"
    message = (
        "`torch.cuda.empty_cache()` in a loop slows every iteration: call it once after the loop"
    )
    triggers = ("empty_cache",)
    pattern = "mlint.patterns.resources.cuda_memory_scope"

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        if ctx.imports.qualified(node.func) != _EMPTY_CACHE:
            return
        child: cst.CSTNode = node
        for ancestor in reversed(ctx.ancestors):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.ExceptHandler)):
                return
            if isinstance(ancestor, (cst.For, cst.While)) and child is ancestor.body:
                self.report(node)
                return
            child = ancestor


@register
class BackwardInNoGrad(Rule):
    """## What it does
    Checks for `.backward()` lexically inside a `torch.no_grad()` /
    `torch.inference_mode()` / `set_grad_enabled(False)` block, or in a function decorated
    with one.

    ## Why is this bad?
    Nothing computed inside the block is recorded by autograd, so the loss has no graph:
    `backward()` raises "element 0 of tensors does not require grad" — or, when the loss
    was computed before the block, runs while the author believes it does not.

    `optimizer.step()` is not reported: optimizers run their update under `no_grad`
    themselves, so stepping inside the block is legitimate (custom optimizers, EMA,
    gradient-free updates). A nested `torch.enable_grad()` / `set_grad_enabled(True)`
    block re-enables autograd and is respected; `backward` of `torch.autograd.Function`
    classes (`Fn.backward(ctx, ...)`, `super().backward(...)`) is not a graph backward.

    ## Example
    ```python
    with torch.no_grad():
        loss = criterion(model(x), y)
        loss.backward()
    ```

    ## Use instead
    ```python
    loss = criterion(model(x), y)
    loss.backward()
    ```

    ## Fix safety
    No fix: where the block should end needs a human.

    ## Pattern
    `mlint.patterns.resources.grad_mode`
    """

    code = "ML206"
    name = "backward-in-no-grad"
    message = "`.backward()` inside a no-grad block: nothing was recorded to differentiate"
    triggers = ("backward",)
    pattern = "mlint.patterns.resources.grad_mode"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "backward"):
            return
        receiver = func.value
        if isinstance(receiver, cst.Call) and dotted_name(receiver.func) == "super":
            return
        if isinstance(receiver, cst.Name) and (
            receiver.value[:1].isupper() or receiver.value == "ctx"
        ):
            return
        ctx = self.context
        cls = ctx.enclosing(cst.ClassDef)
        if isinstance(cls, cst.ClassDef) and ctx.classes.is_autograd_function(cls):
            return
        if grad_mode_at(ctx.ancestors, ctx.imports) is False:
            self.report(
                node, f"`{ctx.code(node)}` inside a no-grad block: move it out of the block"
            )


# Constructors of things that must be closed; the value is the method that matches
# `__exit__`, or None when `with` does something else (so no fix is offered).
_RESOURCES: dict[str, str | None] = {
    "open": "close",
    "io.open": "close",
    "h5py.File": "close",
    "torch.utils.tensorboard.SummaryWriter": "close",
    "torch.utils.tensorboard.writer.SummaryWriter": "close",
    "tensorboardX.SummaryWriter": "close",
    "zipfile.ZipFile": "close",
    "tarfile.open": "close",
    "gzip.open": "close",
    "bz2.open": "close",
    "lzma.open": "close",
    "tempfile.NamedTemporaryFile": "close",
    "tempfile.TemporaryFile": "close",
    "numpy.load": "close",
    "concurrent.futures.ThreadPoolExecutor": "shutdown",
    "concurrent.futures.ProcessPoolExecutor": "shutdown",
    "wandb.init": None,
    "torch.profiler.profile": None,
    "torch.autograd.profiler.profile": None,
    "multiprocessing.Pool": None,
    "multiprocessing.pool.Pool": None,
    "multiprocessing.pool.ThreadPool": None,
}
_CLOSERS = frozenset({"close", "finish", "shutdown", "stop", "terminate", "join", "__exit__"})
# Functions that use a file object during the call and keep no reference to it.
_BORROWERS = frozenset(
    {
        "print",
        "next",
        "iter",
        "enumerate",
        "len",
        "list",
        "sorted",
        "zip",
        "isinstance",
        "hasattr",
        "getattr",
        "str",
        "repr",
        "json.load",
        "json.dump",
        "pickle.load",
        "pickle.dump",
        "yaml.load",
        "yaml.safe_load",
        "yaml.dump",
        "yaml.safe_dump",
        "numpy.save",
        "numpy.savez",
        "numpy.load",
        "numpy.savetxt",
        "numpy.loadtxt",
        "numpy.genfromtxt",
        "torch.save",
        "torch.load",
        "shutil.copyfileobj",
        "csv.reader",
        "csv.writer",
        "csv.DictReader",
        "csv.DictWriter",
    }
)


@register
class UnmanagedResource(Rule):
    """## What it does
    Checks for resources (`open`, `h5py.File`, `SummaryWriter`, `wandb.init`,
    `torch.profiler.profile`, `multiprocessing.Pool`, `ThreadPoolExecutor`, `np.load` of
    an `.npz`, `zipfile`/`tarfile`/`gzip` files) bound to a name in a function, never
    used as a `with` item and not closed in a `finally`.

    ## Why is this bad?
    An exception between opening and `close()` leaks the file handle, the pool's worker
    processes or the logger's background thread, and unflushed data is lost. A `with`
    block closes on every path.

    Not reported: a name that is returned, yielded, stored (`self.f = f`, `d[k] = f`),
    passed to another function that may keep it, captured by a nested function, or
    rebound: ownership has moved. Module-level code is not checked (an exception there
    ends the program).

    ## Example
    ```python
    def load(path):
        f = open(path)
        data = json.load(f)
        f.close()
        return data
    ```

    ## Use instead
    ```python
    def load(path):
        with open(path) as f:
            data = json.load(f)
        return data
    ```

    ## Fix safety
    When every use of the name sits between the binding and an explicit `.close()` (or
    an executor's `.shutdown()`) in the same block, the fix turns them into a `with`
    block and drops the explicit close. It is unsafe: the handle now closes earlier on an
    exception, which code relying on it staying open would notice. Pools, profilers and
    `wandb` runs get no fix (their `__exit__` is not `close()`).

    ## Pattern
    `mlint.patterns.resources.managed`
    """

    code = "ML207"
    name = "unmanaged-resource"
    message = "Resource not closed on every path: use a `with` block"
    fix_availability = FixAvailability.SOMETIMES
    triggers = (
        "open(",
        "File(",
        "SummaryWriter",
        "wandb",
        "profile(",
        "Pool(",
        "Executor(",
        "load(",
    )
    pattern = "mlint.patterns.resources.managed"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for block in statement_blocks(node.body):
            for index, statement in enumerate(block):
                small = sole_small(statement)
                if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                    continue
                targets = small.targets if isinstance(small, cst.Assign) else ()
                target = targets[0].target if len(targets) == 1 else getattr(small, "target", None)
                if not isinstance(target, cst.Name) or not isinstance(small.value, cst.Call):
                    continue
                kind = self._resource(small.value)
                if kind is None:
                    continue
                self._check(node, block, index, target.value, small.value, kind)

    def _resource(self, call: cst.Call) -> str | None:
        ctx = self.context
        if isinstance(call.func, cst.Name) and call.func.value == "open":
            return None if "open" in ctx.imports.names else "open"
        resolved = ctx.imports.resolve(call.func)
        if resolved is None or not resolved.certain or resolved.name not in _RESOURCES:
            return None
        if resolved.name == "numpy.load":
            first = call.args[0].value if call.args else None
            if not (
                isinstance(first, cst.SimpleString) and first.value.rstrip("'\"").endswith(".npz")
            ):
                return None
        return resolved.name

    def _check(
        self,
        function: cst.FunctionDef,
        block: Sequence[cst.BaseStatement],
        index: int,
        name: str,
        call: cst.Call,
        kind: str,
    ) -> None:
        ctx = self.context
        bindings = 0
        for node in iter_nodes(function.body, into_scopes=True):
            if isinstance(node, cst.With):
                if any(name in {n.value for n in names_used(item.item)} for item in node.items):
                    return
            elif isinstance(node, (cst.Finally, cst.ExceptHandler)) and self._closes(node, name):
                return
            elif isinstance(node, (cst.Global, cst.Nonlocal)):
                if self._mentions(node, name):
                    return
            elif isinstance(node, (cst.Return, cst.Yield)):
                if node.value is not None and _exposes(node.value, name):
                    return
            elif isinstance(node, (cst.FunctionDef, cst.Lambda)) and node is not function:
                if self._mentions(node, name):
                    return  # captured by a closure
            elif isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                if node.value is not None and _exposes(node.value, name):
                    return  # aliased or stored
                targets = (
                    [t.target for t in node.targets]
                    if isinstance(node, cst.Assign)
                    else [node.target]
                )
                bindings += sum(isinstance(t, cst.Name) and t.value == name for t in targets)
            elif isinstance(node, cst.Call) and self._passes(node, name):
                return
        if bindings != 1:
            return
        fix = self._fix(function, block, index, name, call, kind)
        shown = ctx.code(call.func)
        self.report(
            call,
            f"`{shown}(...)` bound to `{name}` is not closed on every path: "
            f"use `with {shown}(...) as {name}:`",
            fix=fix,
        )

    @staticmethod
    def _mentions(node: cst.CSTNode, name: str) -> bool:
        return any(n.value == name for n in names_used(node))

    def _closes(self, node: cst.CSTNode, name: str) -> bool:
        for call in iter_calls(node):
            called = method_call(call)
            if called is not None and called[0] == name and called[1] in _CLOSERS:
                return True
            if self.context.imports.qualified(call.func) == "wandb.finish":
                return True
        return False

    def _passes(self, call: cst.Call, name: str) -> bool:
        """Whether ``call`` hands ``name`` (or a bound method of it) to code that may keep it."""
        for arg in call.args:
            value = arg.value
            handed = (isinstance(value, cst.Name) and value.value == name) or (
                isinstance(value, cst.Attribute)
                and isinstance(value.value, cst.Name)
                and value.value.value == name
            )
            if not handed:
                continue
            if isinstance(value, cst.Name):
                qualified = self.context.imports.qualified(call.func)
                if qualified in _BORROWERS:
                    continue
            return True
        return False

    def _fix(
        self,
        function: cst.FunctionDef,
        block: Sequence[cst.BaseStatement],
        index: int,
        name: str,
        call: cst.Call,
        kind: str,
    ) -> Fix | None:
        closer = _RESOURCES.get(kind)
        statement = block[index]
        small = sole_small(statement)
        if closer is None or not isinstance(small, cst.Assign):
            return None
        for close_index in range(index + 2, len(block)):
            close = bare_call(block[close_index])
            called = method_call(close) if close is not None else None
            if close is not None and called == (name, closer) and not close.args:
                break
        else:
            return None
        inside = {id(n) for s in block[index + 1 : close_index] for n in names_used(s)}
        for used in names_used(function.body):
            if (
                used.value == name
                and id(used) not in inside
                and used is not small.targets[0].target
                and not any(used is n for n in names_used(block[close_index]))
            ):
                return None
        ctx = self.context
        edit = _wrap_rest_in_with(
            ctx,
            statement,
            block[index + 1 : close_index + 1],
            f"{ctx.code(call)} as {name}",
            drop_last=True,
        )
        if edit is None:
            return None
        return self.make_fix([edit], Applicability.UNSAFE, f"Open `{name}` in a `with` block")

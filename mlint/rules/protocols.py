"""Pillar 5: protocols and magic methods (ML5xx)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from mlint.analysis.classes import defined_names
from mlint.analysis.imports import dotted_name
from mlint.analysis.modules import (
    init_module_attributes,
    is_module_constructor,
    local_module_names,
    walk_statements,
)
from mlint.rule import FileContext, Rule, register
from mlint.types import Applicability, Edit, Fix, FixAvailability
from mlint.walker import children


@register
class DirectForwardCall(Rule):
    """## What it does
    Checks for `module.forward(x)` called directly on an `nn.Module`.

    ## Why is this bad?
    `nn.Module.__call__` runs the forward pre-hooks and hooks (used by profilers,
    quantization, pruning, `torch.compile` guards, activation checkpointing and
    `register_forward_hook` users) around `forward`. Calling `.forward()` directly
    skips all of them, silently.

    ## Example
    ```python
    model = nn.Linear(4, 2)
    out = model.forward(x)
    ```

    ## Use instead
    ```python
    model = nn.Linear(4, 2)
    out = model(x)
    ```

    ## Fix safety
    The fix is safe when the receiver is proven to be an `nn.Module` (built by a
    module constructor in the same function, or assigned so in `__init__`), and unsafe
    otherwise. `super().forward(...)`, `Parent.forward(self, ...)` and
    `nn.LayerNorm.forward(self, x)`, `helper.forward(self, ...)` (a strategy object that
    takes the layer), `self.forward` inside `forward`, `torch.autograd.Function` classes,
    and receivers that are certainly not modules (a parameter annotated with a non-module
    class of the same file, a TorchScript object from `torch.classes`) are never
    reported. Files that do not import torch are skipped unless the receiver is proven.

    ## Pattern
    `mlint.patterns.protocols.module_example`
    """

    code = "ML501"
    name = "direct-forward-call"
    message = "Call the module instead of `.forward()`: hooks are skipped"
    fix_availability = FixAvailability.SOMETIMES
    triggers = (".forward(",)
    pattern = "mlint.patterns.protocols.module_example"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "forward"):
            return
        receiver = func.value
        if isinstance(receiver, cst.Call):
            return  # super().forward(...), get_model().forward(...)
        dotted = dotted_name(receiver)
        if dotted is not None and dotted.rpartition(".")[2][:1].isupper():
            return  # Parent.forward(self, ...), nn.LayerNorm.forward(self, x)
        is_self = isinstance(receiver, cst.Name) and receiver.value == "self"
        if not is_self and node.args and _is_self(node.args[0].value):
            return  # helper.forward(self, ...): a strategy object, not a submodule
        ctx = self.context
        cls = ctx.enclosing(cst.ClassDef)
        if isinstance(cls, cst.ClassDef) and ctx.classes.is_autograd_function(cls):
            return
        function = ctx.enclosing(cst.FunctionDef)
        if (
            is_self
            and isinstance(function, cst.FunctionDef)
            and function.name.value in ("forward", "__call__")
        ):
            return
        certain = self._proven_module(receiver, cls, function)
        if not certain:
            if self._proven_other(receiver, cls, function):
                return
            if is_self:
                if not (isinstance(cls, cst.ClassDef) and ctx.classes.is_module(cls)):
                    return
            elif not ctx.imports.imports_module("torch"):
                return
        fix = self.make_fix(
            [ctx.replace(func, ctx.render(receiver))],
            Applicability.SAFE if certain else Applicability.UNSAFE,
            "Call the module",
        )
        self.report(
            node,
            f"Call the module instead of `{ctx.code(func)}()`: forward hooks are skipped",
            fix=fix,
        )

    def _proven_other(
        self,
        receiver: cst.BaseExpression,
        cls: cst.CSTNode | None,
        function: cst.CSTNode | None,
    ) -> bool:
        """Whether the receiver is certainly something else than a module.

        A parameter annotated with a same-file class that is not a module, or a
        ``self.x`` that the class assigns from ``torch.classes``/``torch.ops`` (TorchScript
        custom classes have a ``forward`` too).
        """
        ctx = self.context
        if isinstance(receiver, cst.Name):
            # Innermost function first: closures see their enclosing functions' parameters.
            for scope in reversed(ctx.ancestors):
                if not isinstance(scope, cst.FunctionDef):
                    continue
                for param in (*scope.params.posonly_params, *scope.params.params):
                    if param.name.value == receiver.value:
                        annotation = param.annotation
                        local = ctx.classes.by_name.get(
                            dotted_name(annotation.annotation) or "" if annotation else ""
                        )
                        return local is not None and not ctx.classes.is_module(local)
            return False
        attr = _self_attribute(receiver)
        if attr is None or not isinstance(cls, cst.ClassDef):
            return False
        for method in _methods(cls).values():
            for small in walk_statements(method.body):
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and _self_attribute(small.targets[0].target) == attr
                    and isinstance(small.value, cst.Call)
                    and (ctx.imports.qualified(small.value.func) or "").startswith(
                        ("torch.classes.", "torch.ops.")
                    )
                ):
                    return True
        return False

    def _proven_module(
        self,
        receiver: cst.BaseExpression,
        cls: cst.CSTNode | None,
        function: cst.CSTNode | None,
    ) -> bool:
        ctx = self.context
        if isinstance(receiver, cst.Name):
            if receiver.value == "self":
                return isinstance(cls, cst.ClassDef) and ctx.classes.is_module(cls)
            body = function.body if isinstance(function, cst.FunctionDef) else ctx.module
            return receiver.value in local_module_names(body, ctx.imports, ctx.classes)
        if (
            isinstance(receiver, cst.Attribute)
            and isinstance(receiver.value, cst.Name)
            and receiver.value.value == "self"
            and isinstance(cls, cst.ClassDef)
        ):
            return receiver.attr.value in init_module_attributes(cls, ctx.imports, ctx.classes)
        return False


# ---------------------------------------------------------------------------
# Shared helpers for ML502-ML507.

_NN_MODULE = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})
_STOP = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


_CONTAINERS = (cst.List, cst.Dict, cst.ListComp, cst.DictComp)


def _assigns_container_to_self(small: cst.BaseSmallStatement) -> bool:
    return (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.value, _CONTAINERS)
        and _self_attribute(small.targets[0].target) is not None
    )


def _descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (itself included), not entering nested defs or lambdas."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in reversed(tuple(children(current))):
            if not isinstance(child, _STOP):
                stack.append(child)


def _methods(cls: cst.ClassDef) -> dict[str, cst.FunctionDef]:
    """Functions defined directly in the class body, by name (the last one wins)."""
    return {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}


def _decorator_names(func: cst.FunctionDef) -> frozenset[str]:
    names = set()
    for decorator in func.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        dotted = dotted_name(expr)
        if dotted is not None:
            names.add(dotted.rpartition(".")[2])
    return frozenset(names)


def _body_statements(func: cst.FunctionDef) -> Sequence[cst.BaseStatement | cst.BaseSmallStatement]:
    return func.body.body


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_stub(func: cst.FunctionDef) -> bool:
    """A body of only ``...`` or ``raise NotImplementedError`` (and a docstring); or an overload."""
    if _decorator_names(func) & {"overload", "abstractmethod"}:
        return True
    if all(_is_docstring(stmt) for stmt in _body_statements(func)):
        return False
    for stmt in _body_statements(func):
        if _is_docstring(stmt):
            continue
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        for small in smalls:
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis):
                continue
            if isinstance(small, cst.Raise) and small.exc is not None:
                exc = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
                if isinstance(exc, cst.Name) and exc.value == "NotImplementedError":
                    continue
            return False
    return True


def _only_raises(func: cst.FunctionDef) -> bool:
    """A body of a docstring and a single ``raise``."""
    rest = [s for s in _body_statements(func) if not _is_docstring(s)]
    return (
        len(rest) == 1
        and isinstance(rest[0], cst.SimpleStatementLine)
        and isinstance(rest[0].body[0], cst.Raise)
    )


def _is_self(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Name) and node.value == "self"


def _self_attribute(node: cst.CSTNode) -> str | None:
    """``x`` for ``self.x``."""
    if isinstance(node, cst.Attribute) and _is_self(node.value):
        return node.attr.value
    return None


def _is_super_call(node: cst.CSTNode, method: str) -> bool:
    """``super().method(...)``, ``super(C, self).method(...)`` or ``Base.method(self, ...)``."""
    if not (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == method
    ):
        return False
    receiver = node.func.value
    if isinstance(receiver, cst.Call):
        return isinstance(receiver.func, cst.Name) and receiver.func.value == "super"
    return (
        dotted_name(receiver) is not None
        and not _is_self(receiver)
        and bool(node.args)
        and _is_self(node.args[0].value)
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
    override (for example, to skip hooks) behaves differently. An override that
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
        if "forward" not in defined_names(node) and not mentions_forward:
            fix = self.make_fix(
                [ctx.replace(call.name, "forward")], Applicability.UNSAFE, "Rename to `forward`"
            )
        self.report(
            call.name,
            f"`{node.name.value}` overrides `nn.Module.__call__`, so hooks never run: "
            "define `forward` instead",
            fix=fix,
        )


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
            fix = self._insert_fix(init) if sole_nn_module else None
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


_ABSTRACT_MARKERS = frozenset(
    {"abc.ABC", "abc.ABCMeta", "typing.Protocol", "typing_extensions.Protocol"}
)
# External bases that add no dataset methods; any other external base might.
_NEUTRAL_BASES = frozenset({"object", "typing.Generic", "typing_extensions.Generic"})
_MAP_BASES = frozenset({"torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"})
_ITERABLE_BASES = frozenset(
    {"torch.utils.data.IterableDataset", "torch.utils.data.dataset.IterableDataset"}
)


@register
class IncompleteDatasetProtocol(Rule):
    """## What it does
    Checks for `torch.utils.data.Dataset` subclasses without `__getitem__` or `__len__`,
    and `IterableDataset` subclasses without `__iter__`.

    ## Why is this bad?
    `Dataset.__getitem__` only raises `NotImplementedError`, and `Dataset` has no
    `__len__`: `DataLoader`'s default `SequentialSampler`/`RandomSampler` call
    `len(dataset)`, so a map-style dataset without `__len__` fails with `TypeError` the
    moment it is loaded (it works only with a custom sampler, which is worth a
    `# noqa`). An `IterableDataset` without `__iter__` cannot be iterated at all. These
    errors surface inside DataLoader workers, far from the class.

    ## Example
    ```python
    class Images(Dataset):
        def __init__(self, paths):
            self.paths = paths

        def __getitem__(self, i):
            return load(self.paths[i])
    ```

    ## Use instead
    ```python
    class Images(Dataset):
        def __init__(self, paths):
            self.paths = paths

        def __len__(self):
            return len(self.paths)

        def __getitem__(self, i):
            return load(self.paths[i])
    ```

    ## Fix safety
    No fix: only the author knows the length. Methods inherited from classes in the same
    file count as defined. Abstract classes (`ABC`, `abstractmethod`, `Protocol`,
    names starting with `Base`/`Abstract`), mixins (`...Mixin`), classes that another
    class in the same file subclasses, and classes with any other base from elsewhere
    (which may supply the methods) are not reported.

    ## Pattern
    `mlint.patterns.protocols.MapDataset`
    """

    code = "ML504"
    name = "incomplete-dataset-protocol"
    message = "Dataset subclass does not implement its protocol"
    fix_availability = FixAvailability.NONE
    triggers = ("Dataset",)
    pattern = "mlint.patterns.protocols.MapDataset"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        classes = self.context.classes
        iterable = classes.is_iterable_dataset(node)
        if not (iterable or classes.is_map_dataset(node)):
            return
        if self._exempt(node):
            return
        defined: set[str] = set(defined_names(node))
        for base in classes.local_bases(node):
            defined |= defined_names(base)
        name = node.name.value
        if iterable:
            if "__iter__" not in defined:
                self.report(
                    node.name,
                    f"`IterableDataset` subclass `{name}` defines no `__iter__`: "
                    "DataLoader cannot iterate it",
                )
            return
        missing = [m for m in ("__getitem__", "__len__") if m not in defined]
        if not missing:
            return
        if "__iter__" in defined and "__getitem__" in missing:
            message = (
                f"`{name}` defines `__iter__` but subclasses map-style `Dataset`: "
                "subclass `IterableDataset` instead"
            )
        elif missing == ["__len__"]:
            message = (
                f"Map-style dataset `{name}` defines no `__len__`: "
                "DataLoader's default sampler calls `len()`"
            )
        else:
            listed = " or ".join(f"`{m}`" for m in missing)
            message = f"Map-style dataset `{name}` defines no {listed}: DataLoader cannot index it"
        self.report(node.name, message)

    def _exempt(self, node: cst.ClassDef) -> bool:
        classes = self.context.classes
        name = node.name.value
        if name.startswith(("Base", "Abstract")) or name.endswith(("Base", "Mixin")):
            return True
        if classes.is_subclassed(node):
            return True
        ancestry = classes.ancestry(node)
        external = {a for a in ancestry if a not in classes.by_name}
        if external & _ABSTRACT_MARKERS:
            return True
        if external - _NEUTRAL_BASES - _MAP_BASES - _ITERABLE_BASES:
            return True
        for keyword in node.keywords:
            if keyword.keyword is not None and keyword.keyword.value == "metaclass":
                return True
        return any(
            "abstractmethod" in _decorator_names(method)
            for cls in (node, *classes.local_bases(node))
            for method in _methods(cls).values()
        )


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


# Calls that return a float whatever their argument.
_FLOAT_CALLS = frozenset(
    {"float", "numpy.ceil", "numpy.floor", "numpy.sqrt", "numpy.mean", "math.sqrt", "math.log"}
)
_FLOAT_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply, cst.Modulo, cst.FloorDivide, cst.Power)


@register
class NonIntegerLen(Rule):
    """## What it does
    Checks for `__len__` methods that return a true division (`/`) or another float.

    ## Why is this bad?
    `len()` accepts only integers: `len(ds)` raises `TypeError: 'float' object cannot be
    interpreted as an integer` whenever `__len__` returns `n / batch_size`, even when
    the division is exact. The error shows up in the DataLoader or sampler, not here.

    ## Example
    ```python
    def __len__(self):
        return len(self.items) / self.batch_size
    ```

    ## Use instead
    ```python
    def __len__(self):
        return math.ceil(len(self.items) / self.batch_size)  # or `//` to drop the tail
    ```

    ## Fix safety
    No fix: `//` (drop the last partial batch) and `math.ceil` (keep it) are both
    plausible, and only the author knows which was meant. Values wrapped in `int()`,
    `round()`, `math.ceil()` or `math.floor()` are integers and not reported.

    ## Pattern
    `mlint.patterns.protocols.MapDataset`
    """

    code = "ML506"
    name = "non-integer-len"
    message = "`__len__` returns a float: `len()` raises `TypeError`"
    fix_availability = FixAvailability.NONE
    triggers = ("__len__",)
    pattern = "mlint.patterns.protocols.MapDataset"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value != "__len__" or not isinstance(
            self.context.enclosing(cst.ClassDef, cst.FunctionDef), cst.ClassDef
        ):
            return
        for small in walk_statements(node.body):
            if (
                isinstance(small, cst.Return)
                and small.value is not None
                and self._is_float(small.value)
            ):
                self.report(
                    small.value,
                    f"`__len__` returns `{self.context.code(small.value)}`, a float: "
                    "`len()` raises `TypeError`; use `//` or `math.ceil(...)`",
                )

    def _is_float(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Float):
            return True
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.Divide):
                return True
            return isinstance(expr.operator, _FLOAT_OPERATORS) and (
                self._is_float(expr.left) or self._is_float(expr.right)
            )
        if isinstance(expr, cst.UnaryOperation):
            return self._is_float(expr.expression)
        if isinstance(expr, cst.IfExp):
            return self._is_float(expr.body) or self._is_float(expr.orelse)
        if isinstance(expr, cst.Call):
            resolved = self.context.imports.resolve(expr.func)
            return (
                resolved is not None
                and resolved.name in _FLOAT_CALLS
                and (resolved.certain or resolved.name == "float")
            )
        return False


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
    star-arguments).

    ## Pattern
    `mlint.patterns.protocols.Pipeline`
    """

    code = "ML507"
    name = "explicit-dunder-call"
    message = "Use the protocol syntax instead of calling a dunder method"
    fix_availability = FixAvailability.SOMETIMES
    triggers = (".__call__(", ".__len__(", ".__getitem__(")
    pattern = "mlint.patterns.protocols.Pipeline"

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
            fix = self.make_fix(
                [ctx.replace(func, target)], Applicability.SAFE, "Call the object directly"
            )
            self.report(node, "Call the object directly instead of `.__call__(...)`", fix=fix)
            return
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

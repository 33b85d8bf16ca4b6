"""ML207 `unmanaged-resource`: the rule and the helpers only it uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import libcst as cst

from mlint.analysis.blocks import (
    bare_call,
    iter_calls,
    iter_nodes,
    method_call,
    names_used,
    sole_small,
    statement_blocks,
)
from mlint.rule import Rule, register
from mlint.rules.resources._shared import _wrap_rest_in_with
from mlint.types import Applicability, Fix, FixAvailability
from mlint.walker import children


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

    This rule is opt-in: select it with `--select ML207`; on real application code
    (notebooks, one-off scripts) the resource was almost always closed explicitly, so it
    leaked only when an exception ended the run anyway: technically right, not worth
    changing. Enable it for libraries and long-running services.

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
    default: ClassVar[bool] = False

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

"""ML204 `cuda-timing-without-sync`: the rule and the helpers only it uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import libcst as cst

from mlint.analysis.blocks import (
    iter_calls,
    iter_nodes,
    method_call,
    small_statements,
    statement_blocks,
)
from mlint.analysis.callgraph import FunctionIndex
from mlint.analysis.imports import dotted_name
from mlint.analysis.modules import local_module_names
from mlint.rule import FileContext, Rule, register
from mlint.rules.resources._shared import _enclosing_class, _proven_modules

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
    "torch.optim.",
    "torch.multiprocessing.",
    "torch.random.",
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


@dataclass
class _GpuFacts:
    """Per-function facts ML204 needs to call something GPU work."""

    modules: frozenset[str]
    body: cst.CSTNode
    context: FileContext
    _host: frozenset[str] | None = None

    @property
    def host_tensors(self) -> frozenset[str]:
        if self._host is None:
            self._host = _host_tensors(self.body, self.context)
        return self._host


def _host_tensors(body: cst.CSTNode, ctx: FileContext) -> frozenset[str]:
    """Names only ever assigned a tensor made on the host (a factory without ``device=``)."""
    host: set[str] = set()
    other: set[str] = set()
    for node in iter_nodes(body):
        if not isinstance(node, cst.Assign):
            continue
        for target in node.targets:
            if not isinstance(target.target, cst.Name):
                continue
            name = target.target.value
            value = node.value
            resolved = ctx.imports.resolve(value.func) if isinstance(value, cst.Call) else None
            if (
                isinstance(value, cst.Call)
                and resolved is not None
                and resolved.name.startswith("torch.")
                and resolved.name.rpartition(".")[2] in _TORCH_FACTORIES
                and not any(a.keyword and a.keyword.value == "device" for a in value.args)
            ):
                host.add(name)
            else:
                other.add(name)
    return frozenset(host - other)


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
    there is not assumed to use the GPU, and one of this file that waits for a result
    (`loss.item()`, `.tolist()`) is a synchronization point. Not GPU work: seeding,
    building optimizers, modules and losses, `torch.compile`, `torch.multiprocessing.spawn`,
    and operations on tensors made on the host. Two reads in different notebook cells are
    not paired.

    This rule is opt-in: select it with `--select ML204`; on real application code most
    timed sections were host work, deliberate CPU runs or long runs already synchronised
    by `.item()`, so most findings were wrong or not worth changing. Enable it for
    benchmark code.

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
    default: ClassVar[bool] = False

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        self._index: FunctionIndex | None = None
        self._enabled = False

    def visit_Module(self, node: cst.Module) -> None:
        source = self.context.source
        self._enabled = "cuda" in source or "device" in source
        if self._enabled:
            ctx = self.context
            self._check(
                node,
                _GpuFacts(local_module_names(node, ctx.imports, ctx.classes), node, ctx),
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
        self._check(node.body, _GpuFacts(modules | receivers, node.body, ctx))

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
                    if start is not None and self.context.same_cell(start[2], read):
                        between: list[cst.CSTNode] = list(block[start[0] + 1 : index])
                        between.extend(small_statements(statement)[:small_index])
                        if self._gpu_work_unsynced(between, facts):
                            self.report(
                                read,
                                f"`{self.context.code(read.func)}()` reads the clock while "
                                "CUDA kernels may still run: call `torch.cuda.synchronize()` "
                                "before it",
                            )
                    start = (index, small_index, read)

    def _gpu_work_unsynced(self, nodes: Sequence[cst.CSTNode], facts: _GpuFacts) -> bool:
        gpu = False
        for node in nodes:
            for call in iter_calls(node):
                if self._syncs_inside(call):
                    return False
                kind = self._kind(call, facts)
                if kind == "sync":
                    return False
                gpu = gpu or kind == "gpu"
        return gpu

    def _syncs_inside(self, call: cst.Call) -> bool:
        """A call of a function of this file that waits for the device (``loss.item()``)."""
        if self._index is None:
            self._index = FunctionIndex.of(self.context.module)
        function = self.context.enclosing(cst.FunctionDef)
        target = self._index.callee(
            call, function if isinstance(function, cst.FunctionDef) else None
        )
        if target is None:
            return False
        for inner in iter_nodes(target.body):
            if (
                isinstance(inner, cst.Call)
                and isinstance(inner.func, cst.Attribute)
                and inner.func.attr.value in _SYNC_METHODS
            ):
                return True
        return False

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
        head, _, last = name.rpartition(".")
        if head == "torch.nn" and last[:1].isupper():
            return None  # building a module or a loss launches no kernel
        tensors = [dotted_name(a.value) for a in call.args]
        if tensors and all(t is not None and t in facts.host_tensors for t in tensors):
            return None  # an operation on host tensors runs on the CPU
        if name.rpartition(".")[2] in _TORCH_FACTORIES:
            factory_device = next(
                (a.value for a in call.args if a.keyword and a.keyword.value == "device"), None
            )
            if factory_device is None or (
                isinstance(factory_device, cst.SimpleString) and "cpu" in factory_device.value
            ):
                return None
        return "gpu"

"""ML613 device-transfer-in-dataset."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.training._shared_608 import (
    argument,
    assignments,
    keyword,
    method_name,
    methods,
    qualified,
)

_ITEM_METHODS = frozenset({"__getitem__", "__getitems__", "__iter__"})
_ACCELERATORS = ("cuda", "mps", "xpu", "npu")


def _device_literal(node: cst.BaseExpression) -> bool | None:
    """``True`` for "cuda"/"cuda:0"/"mps", ``False`` for "cpu"/"meta", ``None`` otherwise."""
    if (
        isinstance(node, cst.Call)
        and dotted_name(node.func) in ("torch.device", "device")
        and len(node.args) == 1
    ):
        node = node.args[0].value
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if isinstance(value, str):
            return value.startswith(_ACCELERATORS)
    return None


@register
class DeviceTransferInDataset(Rule):
    """## What it does
    Checks for `.cuda()` and `.to(device)` (to an accelerator) inside a PyTorch
    `Dataset.__getitem__` (`__getitems__`, or `IterableDataset.__iter__`), directly or
    in a method of the same class it calls.

    ## Why is this bad?
    With `num_workers > 0` the `DataLoader` runs `__getitem__` in worker processes:
    initialising CUDA there fails under the default `fork` start method ("Cannot
    re-initialize CUDA in forked subprocess") or, with `spawn`, creates one CUDA context
    per worker and ships every sample back through shared memory of the GPU. With
    `num_workers=0` the copies are one per sample instead of one per batch, and
    `pin_memory` cannot help. Move whole batches in the training loop.

    ## Example
    ```python
    class Images(Dataset):
        def __getitem__(self, i):
            x = self.load(i)
            return x.to(self.device), self.labels[i].cuda()
    ```

    ## Use instead
    ```python
    class Images(Dataset):
        def __getitem__(self, i):
            return self.load(i), self.labels[i]

    for x, y in DataLoader(Images(), num_workers=4, pin_memory=True):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
    ```

    ## Fix safety
    No fix: the transfer has to move to the loop that consumes the batches.

    The target must be an accelerator: `.cuda()`, a `"cuda"`/`"mps"` string,
    `torch.device("cuda")`, `device=...`, or a name/attribute called `device` (or
    `*_device`) that is not bound to `"cpu"`. Not reported: `.to(torch.float32)` and
    other dtype conversions, `.to("cpu")`, transfers in `__init__` (done once), classes
    that are not `torch.utils.data` datasets (TensorFlow `Sequence`, HF `datasets`), and
    files that do not import torch.
    """

    code = "ML613"
    name = "device-transfer-in-dataset"
    message = (
        "Device transfer inside `Dataset.__getitem__`: move whole batches in the training loop"
    )
    triggers = ("__getitem__", "__getitems__", "__iter__")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        ctx = self.context
        classes = ctx.classes
        if not (classes.is_map_dataset(node) or classes.is_iterable_dataset(node)):
            return
        table = methods(node)
        entries = [table[m] for m in _ITEM_METHODS if m in table]
        seen: set[int] = set()
        while entries:
            method = entries.pop()
            if id(method) in seen or method.name.value == "__init__":
                continue
            seen.add(id(method))
            for item in iter_nodes(method.body):
                if not isinstance(item, cst.Call):
                    continue
                name = method_name(item)
                if name == "cuda" or (name == "to" and self._to_accelerator(item, method, node)):
                    self.report(
                        item,
                        f"`.{name}({ctx.code(item)[len(ctx.code(item.func)) + 1 : -1]})` in "
                        f"`{node.name.value}.{method.name.value}` runs in "
                        "DataLoader workers: move whole batches in the training loop",
                    )
                func = item.func
                if (
                    isinstance(func, cst.Attribute)
                    and isinstance(func.value, cst.Name)
                    and func.value.value == "self"
                    and func.attr.value in table
                ):
                    entries.append(table[func.attr.value])

    def _to_accelerator(self, call: cst.Call, method: cst.FunctionDef, cls: cst.ClassDef) -> bool:
        target = keyword(call, "device")
        value = target.value if target is not None else argument(call, 0, "device")
        if value is None:
            return False
        literal = _device_literal(value)
        if literal is not None:
            return literal
        ctx = self.context
        if isinstance(value, cst.Call):
            if qualified(ctx.imports, value.func) == "torch.device" and value.args:
                return _device_literal(value.args[0].value) is not False
            return False
        dotted = dotted_name(value)
        if dotted is None:
            return False
        last = dotted.rpartition(".")[2]
        if not (last == "device" or last.endswith("_device") or last == "dev"):
            return False
        # A device name bound to "cpu" in the method or in `__init__` is harmless.
        scopes: list[cst.CSTNode] = [method]
        init = methods(cls).get("__init__")
        if init is not None:
            scopes.append(init)
        for scope in scopes:
            for bound, bound_value, _ in assignments(scope):
                if bound == last and _device_literal(bound_value) is False:
                    return False
            for item in iter_nodes(scope):
                if (
                    isinstance(item, cst.Assign)
                    and isinstance(item.targets[0].target, cst.Attribute)
                    and item.targets[0].target.attr.value == last
                    and _device_literal(item.value) is False
                ):
                    return False
        return True

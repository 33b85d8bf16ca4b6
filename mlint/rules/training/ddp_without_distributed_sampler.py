"""ML611 ddp-without-distributed-sampler."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.training._shared_608 import is_true, keyword, qualified

_WRAPPERS = frozenset(
    {
        "torch.nn.parallel.DistributedDataParallel",
        "torch.nn.parallel.distributed.DistributedDataParallel",
        "torch.distributed.fsdp.FullyShardedDataParallel",
        "torch.distributed.fsdp.fully_sharded_data_parallel.FullyShardedDataParallel",
    }
)
_LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})
_LOCAL_SAMPLERS = frozenset(
    {
        "torch.utils.data.RandomSampler",
        "torch.utils.data.WeightedRandomSampler",
        "torch.utils.data.SubsetRandomSampler",
        "torch.utils.data.sampler.RandomSampler",
        "torch.utils.data.sampler.WeightedRandomSampler",
        "torch.utils.data.sampler.SubsetRandomSampler",
    }
)
# Libraries whose launcher shards the data loaders it is given.
_SHARDING_LIBRARIES = ("accelerate", "lightning", "pytorch_lightning", "deepspeed", "ray")
_SAMPLER_POSITION = 3  # DataLoader(dataset, batch_size, shuffle, sampler, ...)


@register
class DdpWithoutDistributedSampler(Rule):
    """## What it does
    Checks for a training `DataLoader` in a file that wraps the model in
    `DistributedDataParallel` (or `FullyShardedDataParallel`) and gives the loader
    neither a `sampler=` nor a `batch_sampler=`, or a non-distributed random sampler
    (`RandomSampler`, `WeightedRandomSampler`, `SubsetRandomSampler`).

    A loader counts as a training loader when it shuffles (`shuffle=True`) or when a
    loop that calls `.backward()` iterates it in the same function.

    ## Why is this bad?
    Without a `DistributedSampler` every process iterates the whole dataset: with N GPUs
    each epoch trains on the same batches N times, the effective batch is N copies of one
    batch, and the run costs N times more for the result of one GPU. Nothing warns.

    ## Example
    ```python
    model = DDP(model.to(rank), device_ids=[rank])
    loader = DataLoader(train_set, batch_size=32, shuffle=True)
    ```

    ## Use instead
    ```python
    model = DDP(model.to(rank), device_ids=[rank])
    sampler = DistributedSampler(train_set)
    loader = DataLoader(train_set, batch_size=32, sampler=sampler)
    # and sampler.set_epoch(epoch) at the start of each epoch
    ```

    ## Fix safety
    No fix: the sampler changes how epochs are counted and needs `set_epoch`.

    Not reported: loaders given any other `sampler=`/`batch_sampler=` (a variable may
    hold a `DistributedSampler`) or `**kwargs`, evaluation loaders (no shuffling, not
    iterated by a `.backward()` loop: every rank evaluating everything is only
    redundant), `nn.DataParallel` (one process), files that import Accelerate, Lightning,
    DeepSpeed or Ray (their launchers add the sampler), and files without DDP.
    """

    code = "ML611"
    name = "ddp-without-distributed-sampler"
    message = "DataLoader under DDP without `DistributedSampler`: every rank sees the same data"
    triggers = ("DistributedDataParallel", "FullyShardedDataParallel")

    def visit_Module(self, node: cst.Module) -> None:
        ctx = self.context
        imports = ctx.imports
        if any(imports.imports_module(lib) for lib in _SHARDING_LIBRARIES):
            return
        calls = [item for item in iter_nodes(node, into_scopes=True) if isinstance(item, cst.Call)]
        if not any(qualified(imports, call.func) in _WRAPPERS for call in calls):
            return
        for call in calls:
            if (
                qualified(imports, call.func) in _LOADERS
                and self._unsharded(call)
                and self._is_training(call, node)
            ):
                self.report(
                    call,
                    f"`{ctx.code(call.func)}(...)` in a DDP script has no "
                    "`DistributedSampler`: every rank trains on the same batches",
                )

    def _unsharded(self, call: cst.Call) -> bool:
        if any(arg.star == "**" for arg in call.args) or keyword(call, "batch_sampler"):
            return False
        sampler = keyword(call, "sampler")
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        if sampler is None and len(positional) > _SAMPLER_POSITION:
            sampler = positional[_SAMPLER_POSITION]
        if sampler is None:
            return True
        value = sampler.value
        return (
            isinstance(value, cst.Call)
            and qualified(self.context.imports, value.func) in _LOCAL_SAMPLERS
        )

    def _is_training(self, call: cst.Call, module: cst.Module) -> bool:
        shuffle = keyword(call, "shuffle")
        if shuffle is not None:
            return is_true(shuffle.value)
        if keyword(call, "sampler") is not None:
            return True  # a RandomSampler: training data
        name = self._bound_name(call, module)
        for item in iter_nodes(module, into_scopes=True):
            if not isinstance(item, cst.For):
                continue
            iterated = {
                dotted_name(n) for n in iter_nodes(item.iter) if isinstance(n, cst.BaseExpression)
            }
            if not (item.iter is call or (name is not None and name in iterated)):
                continue
            if any(
                isinstance(n, cst.Call)
                and isinstance(n.func, cst.Attribute)
                and n.func.attr.value == "backward"
                for n in iter_nodes(item.body)
            ):
                return True
        return False

    @staticmethod
    def _bound_name(call: cst.Call, module: cst.Module) -> str | None:
        for item in iter_nodes(module, into_scopes=True):
            if isinstance(item, cst.Assign) and item.value is call and len(item.targets) == 1:
                return dotted_name(item.targets[0].target)
        return None

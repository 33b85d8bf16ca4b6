"""Runtime reference implementations of what mlint's rules tell you to write instead.

One module per pillar: ``lazy``, ``resources``, ``concurrency``, ``config``,
``protocols``. Importing this package imports none of them (nor torch, numpy or
pandas); ``resolve`` imports the one a dotted name points to.
"""

from __future__ import annotations

import importlib

__all__ = ["PATTERNS", "resolve"]

_P = "mlint.patterns"

PATTERNS: dict[str, str] = {
    # lazy: ML101-ML106
    f"{_P}.lazy.LazyImageDataset": "Map-style dataset that keeps file paths and loads one sample per __getitem__.",
    f"{_P}.lazy.iter_lines": "Yield a text file's lines one at a time instead of readlines().",
    f"{_P}.lazy.iter_jsonl": "Yield one decoded record per JSON Lines line; errors name file and line.",
    f"{_P}.lazy.iter_csv_chunks": "Yield a CSV file as lists of at most chunksize row dicts (stdlib only).",
    f"{_P}.lazy.iter_dataframe_chunks": "Yield a CSV file as pandas DataFrames of at most chunksize rows.",
    f"{_P}.lazy.batched": "Group any iterable into tuples of n items, lazily.",
    f"{_P}.lazy.concat_once": "Collect parts, then concatenate once instead of concat-in-a-loop.",
    f"{_P}.lazy.memmap_array": "Memory-map a .npy or raw array file instead of reading it into RAM.",
    f"{_P}.lazy.load_state_dict_mmap": "torch.load a checkpoint with mmap=True, weights_only=True, on CPU.",
    # resources: ML201-ML207
    f"{_P}.resources.inference": "Eval mode + torch.inference_mode() for a block; modes restored, also on errors.",
    f"{_P}.resources.grad_mode": "Enable/disable autograd for a block and restore the previous setting.",
    f"{_P}.resources.train_mode": "Set train/eval mode for a block, restoring every submodule's flag.",
    f"{_P}.resources.eval_mode": "Eval mode for a block, previous per-submodule modes restored.",
    f"{_P}.resources.cuda_timer": "Time GPU work with synchronized CUDA events; CPU wall time without CUDA.",
    f"{_P}.resources.cuda_memory_scope": "Record peak CUDA memory of a block; empty the cache once at the end.",
    f"{_P}.resources.managed": "Context manager closing anything with close(), also on errors.",
    # concurrency: ML301-ML305
    f"{_P}.concurrency.gather_bounded": "Await many coroutines with a concurrency bound; ordered results, fail fast.",
    f"{_P}.concurrency.amap": "Async map with at most limit calls in flight, results in input order.",
    f"{_P}.concurrency.to_thread": "Run one blocking call (model, HTTP, disk) in a worker thread.",
    f"{_P}.concurrency.run_in_thread": "Decorate a blocking function into an async one that runs in a thread.",
    f"{_P}.concurrency.run_sync": "Run a coroutine from sync code only at the top level; refuse inside a loop.",
    # config: ML401-ML404
    f"{_P}.config.TrainConfig": "Frozen pydantic config: unknown keys rejected with a hint, ranges checked.",
    f"{_P}.config.StrictModel": "Pydantic base: extra='forbid', frozen, 'did you mean' for unknown keys.",
    f"{_P}.config.load_config": "Load YAML/TOML/JSON into a typed config; errors name file and key.",
    f"{_P}.config.tool_schema": "Export a config model as a JSON Schema tool definition for LLM calls.",
    f"{_P}.config.PlainTrainConfig": "The TrainConfig contract as a frozen dataclass, without pydantic.",
    # protocols: ML501-ML507
    f"{_P}.protocols.MLP": "nn.Module done right: super().__init__() first, nn.ModuleList, buffers, forward.",
    f"{_P}.protocols.module_example": "Build the reference nn.Module (MLP); call it as model(x), not .forward(x).",
    f"{_P}.protocols.MapDataset": "Map-style dataset base enforcing __len__ and __getitem__ (no torch import).",
    f"{_P}.protocols.StreamDataset": "IterableDataset base that shards its stream across DataLoader workers.",
    f"{_P}.protocols.shard_for_worker": "Yield only this DataLoader worker's (and rank's) share of an iterable.",
    f"{_P}.protocols.Pipeline": "Callable object (__call__) for non-torch pipelines.",
}


def resolve(dotted: str) -> object:
    """Import and return the object a dotted name like ``mlint.patterns.lazy.iter_lines`` names."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"not a dotted name: {dotted!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise LookupError(f"no pattern module {module_name!r} for {dotted!r}") from error
    try:
        return getattr(module, attribute)
    except AttributeError as error:
        raise LookupError(f"module {module_name!r} has no pattern {attribute!r}") from error

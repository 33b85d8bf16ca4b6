"""Pillar 1, lazy data: stream records instead of loading whole files.

Rules ML101-ML106 point here. numpy, pandas and torch are imported inside the
functions that need them, never at import time.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from mlint.patterns.protocols import MapDataset

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped, import-not-found, unused-ignore]

__all__ = [
    "LazyImageDataset",
    "batched",
    "concat_once",
    "iter_csv_chunks",
    "iter_dataframe_chunks",
    "iter_jsonl",
    "iter_lines",
    "load_state_dict_mmap",
    "memmap_array",
]

StrPath = str | os.PathLike[str]
T = TypeVar("T")
R = TypeVar("R")


def iter_lines(path: StrPath, *, encoding: str = "utf-8") -> Iterator[str]:
    """Yield the lines of a text file without their line endings, one at a time."""
    with open(path, encoding=encoding, newline=None) as handle:
        for line in handle:
            yield line.rstrip("\n")


def iter_jsonl(path: StrPath, *, encoding: str = "utf-8") -> Iterator[Any]:
    """Yield one decoded JSON value per non-blank line of a JSON Lines file.

    A malformed line raises ``ValueError`` naming the file and the 1-based line.
    """
    for number, line in enumerate(iter_lines(path, encoding=encoding), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{os.fspath(path)}:{number}: invalid JSON: {error.msg}") from error


def iter_csv_chunks(
    path: StrPath, chunksize: int, *, encoding: str = "utf-8"
) -> Iterator[list[dict[str, str]]]:
    """Yield the rows of a CSV file with a header as lists of at most ``chunksize`` dicts.

    Standard library only; see ``iter_dataframe_chunks`` for pandas frames.
    """
    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, got {chunksize}")
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        while chunk := list(itertools.islice(reader, chunksize)):
            yield chunk


def iter_dataframe_chunks(path: StrPath, chunksize: int, **read_csv: Any) -> Iterator[pd.DataFrame]:
    """Yield a CSV file as pandas DataFrames of at most ``chunksize`` rows."""
    import pandas as pd  # type: ignore[import-untyped, import-not-found, unused-ignore]

    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, got {chunksize}")
    with pd.read_csv(path, chunksize=chunksize, **read_csv) as reader:
        yield from reader


def batched(iterable: Iterable[T], n: int) -> Iterator[tuple[T, ...]]:
    """Yield tuples of ``n`` items (the last may be shorter); ``itertools.batched`` for 3.11."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    iterator = iter(iterable)
    while batch := tuple(itertools.islice(iterator, n)):
        yield batch


def concat_once(parts: Iterable[T], concat: Callable[[list[T]], R]) -> R:
    """Collect ``parts`` into a list and concatenate them in one call.

    Use instead of ``acc = pd.concat([acc, part])`` or ``acc = torch.cat([acc, part])``
    inside a loop, which copies everything accumulated so far on every iteration
    (quadratic time). Example: ``concat_once(iter_dataframe_chunks(p, 10_000), pd.concat)``.
    """
    collected = list(parts)
    if not collected:
        raise ValueError("concat_once() got no parts to concatenate")
    return concat(collected)


def memmap_array(
    path: StrPath,
    *,
    dtype: Any = None,
    shape: tuple[int, ...] | None = None,
    mode: str = "r",
) -> np.ndarray[Any, Any]:
    """Map an array file into memory instead of reading it; pages load on first touch.

    ``.npy`` files carry their own dtype and shape; raw binary files need ``dtype``
    (and ``shape``, or the whole file is one flat array).
    """
    import numpy as np

    if Path(path).suffix == ".npy":
        array: np.ndarray[Any, Any] = np.load(path, mmap_mode=mode)  # type: ignore[arg-type]
        return array
    if dtype is None:
        raise ValueError(f"{os.fspath(path)}: a raw binary file needs an explicit dtype")
    return np.memmap(path, dtype=dtype, mode=mode, shape=shape)  # type: ignore[call-overload,no-any-return]


def load_state_dict_mmap(path: StrPath) -> dict[str, Any]:
    """Load a ``torch.save`` checkpoint memory-mapped, on CPU, with weights only.

    Tensors stay backed by the file until used, so a checkpoint larger than free RAM
    still loads.
    """
    import torch

    state: dict[str, Any] = torch.load(path, mmap=True, weights_only=True, map_location="cpu")
    return state


def _load_image(path: Path) -> Any:
    try:
        from PIL import Image  # type: ignore[import-not-found, unused-ignore]
    except ImportError as error:
        raise ImportError(
            "LazyImageDataset's default loader needs Pillow (pip install pillow); "
            "or pass load=... to read the files yourself"
        ) from error
    with Image.open(path) as image:
        return image.convert("RGB")


class LazyImageDataset(MapDataset[T], Generic[T]):
    """A map-style dataset that keeps only file paths and loads one sample per ``__getitem__``.

    Memory stays proportional to the number of paths, not to the size of the images,
    and each DataLoader worker reads only the samples it is asked for.
    """

    def __init__(
        self,
        paths: Iterable[StrPath],
        load: Callable[[Path], Any] = _load_image,
        transform: Callable[[Any], T] | None = None,
    ) -> None:
        self.paths: Sequence[Path] = tuple(Path(p) for p in paths)
        self.load = load
        self.transform = transform

    @classmethod
    def from_dir(
        cls,
        root: StrPath,
        pattern: str = "*.png",
        load: Callable[[Path], Any] = _load_image,
        transform: Callable[[Any], T] | None = None,
    ) -> LazyImageDataset[T]:
        """List the files under ``root`` matching ``pattern`` (sorted); read none of them."""
        return cls(sorted(Path(root).rglob(pattern)), load=load, transform=transform)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> T:
        sample = self.load(self.paths[index])
        if self.transform is None:
            return sample  # type: ignore[no-any-return]
        return self.transform(sample)

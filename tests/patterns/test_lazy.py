"""Lazy loading: correct, and its peak memory stays flat while a list grows with the file."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from mlint.patterns.lazy import (
    LazyImageDataset,
    batched,
    concat_once,
    iter_csv_chunks,
    iter_jsonl,
    iter_lines,
)


def peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def write_records(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(f'{{"id": {i}, "label": "c{i % 97}"}}\n' for i in range(count))
    return path


def test_streaming_peak_is_tiny_and_flat_while_a_list_grows(tmp_path: Path) -> None:
    half = write_records(tmp_path / "500k.jsonl", 500_000)
    full = write_records(tmp_path / "1m.jsonl", 1_000_000)

    def load_list() -> int:
        with full.open(encoding="utf-8") as handle:
            lines = handle.readlines()
        return len(lines)

    eager = peak_bytes(load_list)
    lazy = peak_bytes(lambda: sum(1 for _ in iter_lines(full)))
    lazy_half = peak_bytes(lambda: sum(1 for _ in iter_lines(half)))

    assert lazy < 0.05 * eager, (lazy, eager)
    # Doubling the file leaves the streaming peak where it was.
    assert lazy < 1.5 * lazy_half + 64 * 1024, (lazy_half, lazy)


def test_iter_lines_strips_only_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"one \r\ntwo\n\nlast")
    assert list(iter_lines(path)) == ["one ", "two", "", "last"]


def test_iter_jsonl_skips_blank_lines_and_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n\n[2]\n{oops\n', encoding="utf-8")
    records = iter_jsonl(path)
    assert next(records) == {"a": 1}
    assert next(records) == [2]
    with pytest.raises(ValueError, match=r"r.jsonl:4: invalid JSON"):
        next(records)


def test_iter_csv_chunks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i * 2}\n" for i in range(5)), encoding="utf-8")
    chunks = list(iter_csv_chunks(path, chunksize=2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert chunks[2] == [{"x": "4", "y": "8"}]
    with pytest.raises(ValueError, match="chunksize"):
        next(iter_csv_chunks(path, 0))


def test_iter_dataframe_chunks(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    from mlint.patterns.lazy import iter_dataframe_chunks

    path = tmp_path / "t.csv"
    path.write_text("x\n1\n2\n3\n", encoding="utf-8")
    frame = concat_once(iter_dataframe_chunks(path, 2), pd.concat)
    assert frame["x"].tolist() == [1, 2, 3]


def test_batched_is_lazy_and_keeps_the_tail() -> None:
    assert list(batched(range(7), 3)) == [(0, 1, 2), (3, 4, 5), (6,)]
    endless = batched(iter(int, 1), 2)  # an infinite iterator
    assert next(endless) == (0, 0)
    with pytest.raises(ValueError):
        next(batched([], 0))


def test_concat_once_calls_concat_a_single_time() -> None:
    calls: list[int] = []

    def concat(parts: list[list[int]]) -> list[int]:
        calls.append(len(parts))
        return [x for part in parts for x in part]

    assert concat_once(([i, i] for i in range(3)), concat) == [0, 0, 1, 1, 2, 2]
    assert calls == [3]
    with pytest.raises(ValueError, match="no parts"):
        concat_once([], concat)


def test_memmap_array_maps_instead_of_reading(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    from mlint.patterns.lazy import memmap_array

    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "a.npy", array)
    mapped = memmap_array(tmp_path / "a.npy")
    assert isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, array)

    array.tofile(tmp_path / "a.bin")
    raw = memmap_array(tmp_path / "a.bin", dtype=np.float32, shape=(3, 4))
    np.testing.assert_array_equal(raw, array)
    with pytest.raises(ValueError, match="explicit dtype"):
        memmap_array(tmp_path / "a.bin")


def test_load_state_dict_mmap(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from mlint.patterns.lazy import load_state_dict_mmap

    state = torch.nn.Linear(3, 2).state_dict()
    torch.save(state, tmp_path / "ckpt.pt")
    loaded = load_state_dict_mmap(tmp_path / "ckpt.pt")
    assert loaded.keys() == state.keys()
    torch.testing.assert_close(loaded["weight"], state["weight"])


def test_lazy_dataset_reads_files_only_on_getitem(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"{i}.json").write_text(json.dumps({"pixel": i}), encoding="utf-8")
    reads: list[str] = []

    def load(path: Path) -> dict[str, int]:
        reads.append(path.name)
        data: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))
        return data

    dataset = LazyImageDataset.from_dir(
        tmp_path, "*.json", load=load, transform=lambda d: d["pixel"] * 10
    )
    assert len(dataset) == 3 and reads == []
    assert dataset[2] == 20 and reads == ["2.json"]


def test_lazy_dataset_under_a_dataloader(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    for i in range(6):
        np.save(tmp_path / f"{i}.npy", np.full((2, 2), i, dtype=np.float32))
    dataset = LazyImageDataset.from_dir(
        tmp_path, "*.npy", load=lambda p: np.load(p), transform=torch.from_numpy
    )
    batches = list(torch.utils.data.DataLoader(dataset, batch_size=4, num_workers=2))
    assert [tuple(b.shape) for b in batches] == [(4, 2, 2), (2, 2, 2)]
    assert torch.cat(batches)[:, 0, 0].tolist() == [0, 1, 2, 3, 4, 5]

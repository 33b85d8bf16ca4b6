"""ML106 `eager-read-in-stream`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.lazy._shared import _enclosing_function, _keyword, _qualified, _walk
from mlint.types import FixAvailability

_EAGER_READERS = frozenset(
    {"pandas.read_csv", "pandas.read_table", "pandas.read_json", "pandas.read_parquet"}
)

_CHUNKING_KEYWORDS = frozenset({"chunksize", "iterator", "nrows"})


def _is_generator(function: cst.FunctionDef) -> bool:
    return any(isinstance(n, cst.Yield) for n in _walk(function.body))


@register
class EagerReadInStream(Rule):
    """## What it does
    Checks for `pd.read_csv`, `pd.read_table`, `pd.read_json(lines=True)` and
    `pd.read_parquet` without `chunksize`, `iterator` or `nrows` inside a generator
    function or an `IterableDataset.__iter__`.

    ## Why is this bad?
    A generator or an iterable dataset promises a stream, but this call reads the
    whole file into one DataFrame before the first record is yielded. Memory grows
    with the file, and every `DataLoader` worker holds its own copy.

    ## Example
    ```python
    def records(path):
        for row in pd.read_csv(path).itertuples():
            yield row
    ```

    ## Use instead
    ```python
    def records(path):
        for chunk in pd.read_csv(path, chunksize=10_000):
            yield from chunk.itertuples()
    ```
    For Parquet, iterate `pyarrow.parquet.ParquetFile(path).iter_batches()`.

    A read whose result is discarded (`pd.read_csv(path)` as a statement of its own) is
    not reported: nothing is kept in memory past the call.

    ## Fix safety
    No fix: a chunked reader yields DataFrames, not one DataFrame, so the code around
    it changes.

    ## Pattern
    `mlint.patterns.lazy.iter_dataframe_chunks`
    """

    code = "ML106"
    name = "eager-read-in-stream"
    message = "Whole file read inside a stream: read it in chunks"
    fix_availability = FixAvailability.NONE
    triggers = ("read_csv", "read_json", "read_parquet", "read_table")
    pattern = "mlint.patterns.lazy.iter_dataframe_chunks"

    def visit_Call(self, node: cst.Call) -> None:
        name = _qualified(self, node.func)
        if name not in _EAGER_READERS:
            return
        if any(
            arg.keyword is not None and arg.keyword.value in _CHUNKING_KEYWORDS for arg in node.args
        ):
            return
        if any(arg.star == "**" for arg in node.args):
            return  # chunking may arrive through **kwargs
        if isinstance(self.context.parent, cst.Expr):
            return  # the result is discarded (a warm-up or a format check): nothing is kept
        if name == "pandas.read_json":
            lines = _keyword(node, "lines")
            if lines is None or not (
                isinstance(lines.value, cst.Name) and lines.value.value == "True"
            ):
                return
        function = _enclosing_function(self)
        if function is None or not self._is_stream(function):
            return
        short = dotted_name(node.func) or name
        hint = (
            "iterate `pyarrow.parquet.ParquetFile(...).iter_batches()`"
            if name == "pandas.read_parquet"
            else "pass `chunksize=` and yield from each chunk"
        )
        self.report(node, f"`{short}()` reads the whole file inside a stream: {hint}")

    def _is_stream(self, function: cst.FunctionDef) -> bool:
        if function.name.value == "__iter__":
            for node in reversed(self.context.ancestors):
                if isinstance(node, cst.ClassDef):
                    if self.context.classes.is_iterable_dataset(node):
                        return True
                    break
        return _is_generator(function)

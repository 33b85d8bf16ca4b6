"""ML105 `load-without-mmap`: the rule and the helpers only it uses."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from mlint.analysis.defuse import DefUse, Role, UseKind
from mlint.rule import Rule, register
from mlint.rules.lazy._shared import (
    _SCOPES,
    _defuse,
    _enclosing_function,
    _is_self_attribute,
    _keyword,
    _qualified,
    _string_value,
)
from mlint.types import Applicability, Edit, Fix, FixAvailability


@register
class LoadWithoutMmap(Rule):
    """## What it does
    Checks for `np.load` of a `.npy` array without `mmap_mode` where the array is kept
    on a `Dataset` (assigned to `self` in `__init__`) or only subscripted afterwards.

    ## Why is this bad?
    `np.load` reads the whole array into RAM, although only some rows are touched.
    With `mmap_mode="r"` the operating system pages in only the rows that are
    indexed, shares those pages between `DataLoader` workers, and start-up no longer
    waits for the read.

    ## Example
    ```python
    class Embeddings(Dataset):
        def __init__(self, path):
            self.vectors = np.load(path)
    ```

    ## Use instead
    ```python
    class Embeddings(Dataset):
        def __init__(self, path):
            self.vectors = np.load(path, mmap_mode="r")
    ```

    This rule is opt-in (`--extend-select ML105`): on real application code its findings
    loaded arrays that were then used whole, where mapping them saves nothing.

    ## Fix safety
    Adding `mmap_mode="r"` is unsafe: the array becomes read-only (writing into it
    raises) and the file must stay in place while it is used. `.npz` archives,
    `allow_pickle=True` loads (object arrays cannot be mapped) and calls that already
    pass `mmap_mode` are not reported.

    ## Pattern
    `mlint.patterns.lazy.memmap_array`
    """

    code = "ML105"
    name = "load-without-mmap"
    message = '`np.load` reads the whole array: pass `mmap_mode="r"` to page in only what is used'
    fix_availability = FixAvailability.ALWAYS
    triggers = ("load(",)
    pattern = "mlint.patterns.lazy.memmap_array"
    # Opt-in: both of its hits on real application code loaded arrays used whole at once.
    default: ClassVar[bool] = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._defuse: dict[int, DefUse] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        call = node.value
        if len(node.targets) != 1 or not isinstance(call, cst.Call):
            return
        if not self._plain_npy_load(call):
            return
        target = node.targets[0].target
        function = _enclosing_function(self)
        if function is None or self._in_loop():
            return
        if _is_self_attribute(target) and isinstance(target, cst.Attribute):
            if function.name.value != "__init__" or not self._in_dataset():
                return
        elif isinstance(target, cst.Name):
            if not self._only_subscripted(function, target):
                return
        else:
            return
        self.report(call, fix=self._fix(call))

    def _plain_npy_load(self, call: cst.Call) -> bool:
        if _qualified(self, call.func) != "numpy.load" or not call.args:
            return False
        if call.args[0].keyword is not None and call.args[0].keyword.value != "file":
            return False
        if any(arg.star for arg in call.args):
            return False
        if (
            _keyword(call, "mmap_mode") is not None
            or len([a for a in call.args if a.keyword is None]) > 1
        ):
            return False
        pickle = _keyword(call, "allow_pickle")
        if pickle is not None and not (
            isinstance(pickle.value, cst.Name) and pickle.value.value == "False"
        ):
            return False
        path = call.args[0].value
        literal = _string_value(path)
        if literal is not None:
            return literal.endswith(".npy")
        text = _path_suffix_hint(path)
        return text is None or text == ".npy"

    def _in_loop(self) -> bool:
        for node in reversed(self.context.ancestors):
            if isinstance(node, (cst.For, cst.While)):
                return True
            if isinstance(node, _SCOPES):
                return False
        return False

    def _in_dataset(self) -> bool:
        ancestors = self.context.ancestors
        classes = self.context.classes
        for node in reversed(ancestors):
            if isinstance(node, cst.ClassDef):
                return classes.is_map_dataset(node) or classes.is_iterable_dataset(node)
        return False

    def _only_subscripted(self, function: cst.FunctionDef, target: cst.Name) -> bool:
        defuse = _defuse(self, function, self._defuse)
        uses = defuse.uses(target.value)
        if len(defuse.bindings(target.value)) != 1 or defuse.is_global(target.value):
            return False
        reads = [u for u in uses if u.node is not target]
        if not reads or any(u.escaped or u.kind is not UseKind.LOAD for u in reads):
            return False
        indexed = False
        for use in reads:
            if use.role is Role.INDEXED:
                indexed = True
            elif (
                use.role is Role.ARGUMENT
                and use.detail == "len"
                or use.role is Role.ATTRIBUTE
                and use.detail in ("shape", "dtype", "ndim", "size")
            ):
                continue
            else:
                return False
        return indexed

    def _fix(self, call: cst.Call) -> Fix:
        ctx = self.context
        start, end = ctx.span(call)
        text = ctx.source[start:end]
        close = text.rstrip().rfind(")")
        before = text[:close].rstrip()
        insert = ', mmap_mode="r"'
        if before.endswith(","):
            last_line = before[before.rfind("\n") + 1 :]
            indent = last_line[: len(last_line) - len(last_line.lstrip())]
            multiline = "\n" in text[len(before) : close]
            insert = f'\n{indent}mmap_mode="r",' if multiline else ' mmap_mode="r"'
        position = start + len(before)
        return self.make_fix(
            [Edit(position, position, insert)], Applicability.UNSAFE, 'Pass `mmap_mode="r"`'
        )


def _path_suffix_hint(path: cst.BaseExpression) -> str | None:
    """The suffix of a path built from a literal ending (``root / "x.npz"``, f-strings)."""
    if isinstance(path, cst.BinaryOperation):
        return _path_suffix_hint(path.right)
    if isinstance(path, cst.FormattedString):
        last = path.parts[-1] if path.parts else None
        if isinstance(last, cst.FormattedStringText):
            return _suffix(last.value)
        return None
    literal = _string_value(path)
    return _suffix(literal) if literal is not None else None


def _suffix(text: str) -> str | None:
    dot = text.rfind(".")
    return text[dot:] if dot >= 0 else None

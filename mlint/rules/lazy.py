"""Pillar 1: lazy evaluation (ML1xx)."""

from __future__ import annotations

import itertools

import libcst as cst

from mlint.analysis.defuse import DefUse, NameUse, Role, UseKind
from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.types import Applicability, Edit, Fix, FixAvailability
from mlint.walker import children

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)

# Qualified names of calls that read one sample from disk (or decode one record).
SAMPLE_LOADERS = frozenset(
    {
        "PIL.Image.open",
        "cv2.imread",
        "numpy.load",
        "torch.load",
        "torchvision.io.read_image",
        "torchvision.io.decode_image",
        "torchvision.datasets.folder.default_loader",
        "torchvision.datasets.folder.pil_loader",
        "torchaudio.load",
        "soundfile.read",
        "librosa.load",
        "imageio.imread",
        "imageio.v2.imread",
        "imageio.v3.imread",
        "skimage.io.imread",
        "scipy.io.wavfile.read",
        "nibabel.load",
        "json.loads",
        "json.load",
        "pickle.load",
    }
)
# Tokenizer methods that encode text (called on a receiver named like a tokenizer).
_TOKENIZER_METHODS = frozenset(
    {"encode", "encode_plus", "batch_encode_plus", "tokenize", "encode_batch"}
)
_TOKENIZER_NAMES = ("tokenizer", "processor")
# Words in a condition that mark an opt-in eager path (cache / preload into RAM).
_CACHE_FLAG_WORDS = ("cache", "preload", "in_memory", "into_memory", "in_ram", "eager", "lazy")

# Consumers that take an iterable once and build their result from it.
_SINGLE_PASS_CONSUMERS = frozenset(
    {"sum", "min", "max", "any", "all", "sorted", "set", "frozenset", "tuple", "dict"}
)
# ``sum([...])`` is fixed to ``sum(...)`` for these; ``any([...])``/``all([...])`` are
# left to ruff's C419, which every ruff user already sees.
_INLINE_CONSUMERS = frozenset({"sum", "min", "max"})
# ``list(x)`` arguments that are lazy iterators (a snapshot of a container is deliberate).
_LAZY_BUILTINS = frozenset({"map", "filter", "zip", "range", "enumerate", "reversed"})

_CONCATENATORS = frozenset(
    {
        "pandas.concat",
        "numpy.concatenate",
        "numpy.vstack",
        "numpy.hstack",
        "numpy.dstack",
        "numpy.row_stack",
        "numpy.column_stack",
        "numpy.append",
        "torch.cat",
        "torch.concat",
        "torch.concatenate",
        "torch.stack",
        "torch.vstack",
        "torch.hstack",
    }
)

_OPENERS = frozenset({"open", "io.open", "codecs.open"})
_EAGER_READERS = frozenset(
    {"pandas.read_csv", "pandas.read_table", "pandas.read_json", "pandas.read_parquet"}
)
_CHUNKING_KEYWORDS = frozenset({"chunksize", "iterator", "nrows"})


def _qualified(rule: Rule, func: cst.BaseExpression) -> str | None:
    resolved = rule.context.imports.resolve(func)
    return resolved.name if resolved is not None else None


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _string_value(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node of a subtree, not descending into nested scopes."""
    out: list[cst.CSTNode] = []
    stack = list(children(node))
    while stack:
        item = stack.pop()
        out.append(item)
        if not isinstance(item, _SCOPES):
            stack.extend(children(item))
    return out


def _contains_name(node: cst.CSTNode, names: set[str]) -> bool:
    if isinstance(node, cst.Name):
        return node.value in names
    return any(isinstance(n, cst.Name) and n.value in names for n in _walk(node))


def _is_generator(function: cst.FunctionDef) -> bool:
    return any(isinstance(n, cst.Yield) for n in _walk(function.body))


def _enclosing_function(rule: Rule) -> cst.FunctionDef | None:
    """The innermost enclosing ``def``, unless a lambda or class intervenes."""
    scope = rule.context.enclosing(*_SCOPES)
    return scope if isinstance(scope, cst.FunctionDef) else None


def _defuse(rule: Rule, function: cst.FunctionDef, cache: dict[int, DefUse]) -> DefUse:
    found = cache.get(id(function))
    if found is None:
        found = cache[id(function)] = DefUse.of(function)
    return found


@register
class EagerDatasetLoad(Rule):
    """## What it does
    Checks for a map-style `Dataset` whose `__init__` reads every sample (an image,
    an array, an audio clip, a JSON record, a tokenized text) in a loop or
    comprehension and keeps the results on `self`.

    ## Why is this bad?
    The whole dataset sits in RAM before the first batch, start-up waits for every
    file, and each `DataLoader` worker process gets a copy of it. Keeping only the paths
    and loading in `__getitem__` makes memory proportional to the number of samples
    and lets workers read in parallel, only what they are asked for.

    ## Example
    ```python
    class Images(Dataset):
        def __init__(self, paths):
            self.images = [Image.open(p).convert("RGB") for p in paths]

        def __getitem__(self, i):
            return self.images[i]
    ```

    ## Use instead
    ```python
    class Images(Dataset):
        def __init__(self, paths):
            self.paths = list(paths)

        def __getitem__(self, i):
            return Image.open(self.paths[i]).convert("RGB")
    ```

    ## Fix safety
    No fix: where to load is a design change. A loading branch guarded by a cache or
    preload flag (`if self.cache:`, `if preload:`) is an explicit opt-in and is not
    reported.

    ## Pattern
    `mlint.patterns.lazy.LazyImageDataset`
    """

    code = "ML101"
    name = "eager-dataset-load"
    message = "Dataset `__init__` loads every sample: keep paths and load in `__getitem__`"
    fix_availability = FixAvailability.NONE
    triggers = ("Dataset",)
    pattern = "mlint.patterns.lazy.LazyImageDataset"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value != "__init__":
            return
        cls = self.context.parent
        if isinstance(cls, cst.IndentedBlock):
            cls = self.context.ancestors[-2] if len(self.context.ancestors) > 1 else None
        if not (isinstance(cls, cst.ClassDef) and self.context.classes.is_map_dataset(cls)):
            return
        for call, label in self._eager_loads(node):
            self.report(
                call,
                f"`{label}` runs on every sample in `Dataset.__init__` and keeps the results "
                "in memory: keep paths and load in `__getitem__`",
            )

    def _loader_label(self, call: cst.Call) -> str | None:
        func = call.func
        name = _qualified(self, func)
        if name in SAMPLE_LOADERS:
            return dotted_name(func)
        called = dotted_name(func) or ""
        if called.rpartition(".")[2].endswith(_TOKENIZER_NAMES):
            return called  # tokenizer(text), self.tokenizer(text)
        receiver, _, method = called.rpartition(".")
        if method in _TOKENIZER_METHODS and receiver.rpartition(".")[2].endswith(_TOKENIZER_NAMES):
            return called  # self.tokenizer.encode(text)
        return None

    def _eager_loads(self, init: cst.FunctionDef) -> list[tuple[cst.Call, str]]:
        """Loader calls repeated by a loop or comprehension whose results reach ``self``."""
        found: list[tuple[cst.Call, str]] = []
        self._scan(init.body, False, False, {}, found, init)
        return found

    def _scan(
        self,
        node: cst.CSTNode,
        in_loop: bool,
        guarded: bool,
        loaded: dict[str, list[tuple[cst.Call, str]]],
        found: list[tuple[cst.Call, str]],
        init: cst.FunctionDef,
    ) -> None:
        """Walk statements, tracking loops, cache-flag guards and names holding loaded data."""
        if isinstance(node, (cst.If, cst.While)) and _mentions_cache_flag(node.test):
            self._scan(node.body, in_loop or isinstance(node, cst.While), True, loaded, found, init)
            if node.orelse is not None:
                self._scan(node.orelse, in_loop, guarded, loaded, found, init)
            return
        if isinstance(node, _SCOPES):
            return
        if isinstance(node, (cst.For, cst.While)):
            for child in children(node):
                self._scan(child, True, guarded, loaded, found, init)
            return
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self._statement(small, in_loop, guarded, loaded, found, init)
            return
        for child in children(node):
            self._scan(child, in_loop, guarded, loaded, found, init)

    def _statement(
        self,
        small: cst.BaseSmallStatement,
        in_loop: bool,
        guarded: bool,
        loaded: dict[str, list[tuple[cst.Call, str]]],
        found: list[tuple[cst.Call, str]],
        init: cst.FunctionDef,
    ) -> None:
        value: cst.BaseExpression | None = None
        targets: list[cst.BaseExpression] = []
        if isinstance(small, cst.Assign):
            value, targets = small.value, [t.target for t in small.targets]
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            value, targets = small.value, [small.target]
        elif isinstance(small, cst.Expr):
            value = small.value
        if value is None or guarded:
            return
        loads = self._repeated_loads(value, in_loop)
        if in_loop:
            for node in (value, *_walk(value)):
                if isinstance(node, cst.Name) and node.value in loaded:
                    loads.extend(loaded[node.value])
        if not loads:
            return
        stores_on_self = any(_is_self_attribute(t) for t in targets) or _self_container_call(value)
        local_targets = {t.value for t in targets if isinstance(t, cst.Name)}
        local_container = _local_container_call(value)
        if local_container is not None:
            local_targets.add(local_container)
        if stores_on_self or self._reaches_self(init, local_targets):
            found.extend(load for load in loads if all(load[0] is not f[0] for f in found))
        for name in local_targets:
            loaded[name] = loads

    def _repeated_loads(
        self, value: cst.BaseExpression, in_loop: bool
    ) -> list[tuple[cst.Call, str]]:
        """Loader calls in ``value`` that run once per item (in a loop or comprehension)."""
        out: list[tuple[cst.Call, str]] = []
        stack: list[tuple[cst.CSTNode, bool]] = [(value, in_loop)]
        while stack:
            item, repeated = stack.pop()
            if isinstance(item, _SCOPES):
                continue
            if isinstance(item, cst.IfExp) and _mentions_cache_flag(item.test):
                continue
            if isinstance(item, cst.Call) and repeated:
                label = self._loader_label(item)
                if label is not None:
                    out.append((item, label))
            if isinstance(item, _COMPREHENSIONS):
                first = item.for_in
                stack.append((first.iter, repeated))
                for child in children(item):
                    if child is not first:
                        stack.append((child, True))
                stack.extend((c, True) for c in children(first) if c is not first.iter)
                continue
            stack.extend((c, repeated) for c in children(item))
        return out

    def _reaches_self(self, init: cst.FunctionDef, names: set[str]) -> bool:
        """Whether ``__init__`` stores any of ``names`` (or something built from them) on ``self``."""
        if not names:
            return False
        for node in _walk(init.body):
            if (
                isinstance(node, cst.Assign)
                and any(_is_self_attribute(t.target) for t in node.targets)
                and _contains_name(node.value, names)
            ):
                return True
            if (
                isinstance(node, (cst.AnnAssign, cst.AugAssign))
                and _is_self_attribute(node.target)
                and node.value is not None
                and _contains_name(node.value, names)
            ):
                return True
            if (
                isinstance(node, cst.Call)
                and _self_container_call(node)
                and any(_contains_name(arg.value, names) for arg in node.args)
            ):
                return True
        return False


def _is_self_attribute(node: cst.BaseExpression) -> bool:
    """``self.x``, ``self.x[k]``, ``self.x.y``."""
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            return node.value.value == "self"
        node = node.value
    return False


_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "update", "add", "setdefault"})


def _self_container_call(node: cst.BaseExpression) -> bool:
    """``self.items.append(...)`` and friends."""
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in _CONTAINER_METHODS
        and _is_self_attribute(node.func.value)
    )


def _local_container_call(node: cst.BaseExpression) -> str | None:
    """``items`` in ``items.append(...)``."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in _CONTAINER_METHODS
        and isinstance(node.func.value, cst.Name)
    ):
        return node.func.value.value
    return None


def _mentions_cache_flag(test: cst.BaseExpression) -> bool:
    names = [test] if isinstance(test, (cst.Name, cst.Attribute)) else []
    names += [n for n in _walk(test) if isinstance(n, (cst.Name, cst.Attribute))]
    for node in names:
        text = (node.value if isinstance(node, cst.Name) else node.attr.value).lower()
        if any(word in text for word in _CACHE_FLAG_WORDS):
            return True
    return False


@register
class MaterializedSinglePass(Rule):
    """## What it does
    Checks for a list comprehension (or `list(...)` of a lazy iterator) bound to a
    name that is then consumed exactly once, by a `for` loop or by a single-pass
    consumer such as `sum`, `max`, `any`, `sorted` or `set`; and for
    `sum([...])`-style calls that build a list only to consume it.

    ## Why is this bad?
    The whole list lives in memory although every element is needed only once, in
    order. A generator expression produces the same values one at a time, so peak
    memory stays constant.

    ## Example
    ```python
    losses = [criterion(model(x), y) for x, y in batches]
    total = sum(losses)
    ```

    ## Use instead
    ```python
    losses = (criterion(model(x), y) for x, y in batches)
    total = sum(losses)
    ```

    ## Fix safety
    The fix is unsafe: a generator runs the element expressions lazily, interleaved
    with the consumer, so side effects change order and an early `break` or a
    short-circuiting `any`/`all` skips the rest. Names that are indexed, `len()`-ed,
    iterated twice, mutated, returned, used inside a loop or a nested function are not
    reported, nor lists whose inputs are used between the list and its consumer or inside
    the consuming loop: such a list is a deliberate snapshot (`keys = [k for k in d]` before
    deleting from `d`). `list(d)`/`list(d.items())` snapshots are never reported, nor
    `"".join([...])` (faster with a list), nor `any([...])`/`all([...])`, which ruff's
    C419 already reports.

    ## Pattern
    `mlint.patterns.lazy.iter_lines`
    """

    code = "ML102"
    name = "materialized-single-pass"
    message = "List built only to be consumed once: use a generator expression"
    fix_availability = FixAvailability.ALWAYS
    triggers = (" for ", "list(")
    pattern = "mlint.patterns.lazy.iter_lines"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._defuse: dict[int, DefUse] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Name) and func.value in _INLINE_CONSUMERS):
            return
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            return
        comp = node.args[0].value
        if not isinstance(comp, cst.ListComp) or comp.lpar:
            return
        ctx = self.context
        code = ctx.code(comp)
        fix = self.make_fix(
            [ctx.replace(comp, code[1:-1])], Applicability.UNSAFE, "Pass a generator expression"
        )
        self.report(
            comp,
            f"`{func.value}([...])` builds a list only to consume it: "
            f"pass a generator, `{func.value}(... for ...)`",
            fix=fix,
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        value = node.value
        lazy_source: cst.BaseExpression | None = None
        if isinstance(value, cst.ListComp):
            lazy_source = value
        elif _is_list_of_lazy(value):
            assert isinstance(value, cst.Call)
            lazy_source = value.args[0].value
        if lazy_source is None:
            return
        function = _enclosing_function(self)
        if function is None:
            return
        name = node.targets[0].target.value
        defuse = _defuse(self, function, self._defuse)
        consumer = _single_consumer(defuse, name, node)
        if consumer is None:
            return
        if _inputs_touched_before(defuse, lazy_source, node, consumer):
            return
        if isinstance(consumer, cst.For) and _loop_changes_inputs(defuse, lazy_source, consumer):
            return
        ctx = self.context
        if isinstance(value, cst.ListComp):
            replacement = "(" + ctx.code(value)[1:-1] + ")"
        elif isinstance(lazy_source, cst.GeneratorExp) and not lazy_source.lpar:
            replacement = "(" + ctx.code(lazy_source) + ")"
        else:
            replacement = ctx.code(lazy_source)
        how = "a `for` loop" if isinstance(consumer, cst.For) else f"`{_callee(consumer)}()`"
        fix = self.make_fix(
            [ctx.replace(value, replacement)], Applicability.UNSAFE, "Use a generator expression"
        )
        self.report(
            value,
            f"`{name}` is built as a list but consumed once by {how}: use a generator expression",
            fix=fix,
        )


def _callee(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Call):
        return dotted_name(node.func) or "call"
    return "call"


def _is_list_of_lazy(value: cst.BaseExpression) -> bool:
    """``list(<generator>)`` or ``list(map(...))``: materializing a lazy iterator."""
    if not (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "list"
        and len(value.args) == 1
        and value.args[0].keyword is None
        and not value.args[0].star
    ):
        return False
    arg = value.args[0].value
    if isinstance(arg, cst.GeneratorExp):
        return True
    return (
        isinstance(arg, cst.Call)
        and isinstance(arg.func, cst.Name)
        and arg.func.value in _LAZY_BUILTINS
    )


def _single_consumer(defuse: DefUse, name: str, assign: cst.Assign) -> cst.CSTNode | None:
    """The one ``for`` loop or consumer call that reads ``name``, if that is its only use."""
    if defuse.is_global(name):
        return None
    uses = defuse.uses(name)
    binding = [u for u in uses if u.node is assign.targets[0].target]
    if len(binding) != 1:
        return None
    bind = binding[0]
    others = [u for u in uses if u is not bind and u.role is not Role.COMPREHENSION_TARGET]
    if any(u.escaped or u.kind is not UseKind.LOAD for u in others):
        return None  # rebound, deleted, augmented, or captured by a nested scope
    if len(others) != 1:
        return None
    use = others[0]
    if use.order < bind.order or use.loops != bind.loops:
        return None
    if use.role is Role.ITERATED:
        return _for_loop_over(use)
    if use.role is Role.ARGUMENT and use.detail in _SINGLE_PASS_CONSUMERS:
        call = use.expression
        if isinstance(call, cst.Call) and len(call.args) == 1 and call.args[0].keyword is None:
            return call
    return None


def _for_loop_over(use: NameUse) -> cst.CSTNode | None:
    """The ``for`` statement whose iterable is exactly this name (not a comprehension)."""
    return use.expression if isinstance(use.expression, cst.For) else None


def _read_names(source: cst.BaseExpression) -> set[str]:
    """Names an expression reads, less the targets of its own comprehensions."""
    nodes = (source, *_walk(source))
    names = {n.value for n in nodes if isinstance(n, cst.Name)}
    for node in nodes:
        if isinstance(node, cst.CompFor):
            names -= {
                n.value for n in (node.target, *_walk(node.target)) if isinstance(n, cst.Name)
            }
    return names


def _inputs_touched_before(
    defuse: DefUse, source: cst.BaseExpression, assign: cst.Assign, consumer: cst.CSTNode
) -> bool:
    """Whether code between the list and its consumer uses what the list was built from.

    A generator computes its items only when consumed, so ``state = [(m, m.training) for m
    in model.modules()]; model.eval(); for m, t in state: ...`` would read the new state.
    """
    target = assign.targets[0].target
    start = next((u.order for u in defuse.uses(target.value) if u.node is target), None)  # type: ignore[attr-defined]
    if start is None:
        return True
    consumer_ids = {id(n) for n in _walk(consumer)} | {id(consumer)}
    consumed_at = min(
        (u.order for u in defuse.uses(target.value) if id(u.node) in consumer_ids),  # type: ignore[attr-defined]
        default=None,
    )
    if consumed_at is None:
        return True
    return any(
        start < use.order < consumed_at for name in _read_names(source) for use in defuse.uses(name)
    )


def _loop_changes_inputs(defuse: DefUse, source: cst.BaseExpression, loop: cst.CSTNode) -> bool:
    """Whether the consuming loop changes a name the list was built from.

    A list built before such a loop is a deliberate snapshot (``for k in [k for k in d
    if ...]: del d[k]``); a generator would see the changes.
    """
    names = _read_names(source)
    body = loop.body if isinstance(loop, cst.For) else loop
    for name in names:
        for use in defuse.uses_within(name, body):
            if use.mutates or use.kind in (UseKind.DELETE, UseKind.BIND):
                return True
    # Any use of an iterated container may change it (``_replace_module(model, ...)``).
    for name in _iterated_roots(source):
        if defuse.uses_within(name, body):
            return True
    return False


def _iterated_roots(source: cst.BaseExpression) -> set[str]:
    """Root names of what a comprehension, generator or ``map``/``filter`` call iterates."""
    iterables: list[cst.BaseExpression] = []
    for node in (source, *_walk(source)):
        if isinstance(node, cst.CompFor):
            iterables.append(node.iter)
    if isinstance(source, cst.Call):
        iterables.extend(arg.value for arg in source.args)
    roots: set[str] = set()
    for iterable in iterables:
        roots |= {n.value for n in (iterable, *_walk(iterable)) if isinstance(n, cst.Name)}
    return roots


@register
class WholeFileReadForIteration(Rule):
    """## What it does
    Checks for iterating over a whole file read into memory: `for line in
    f.readlines()`, `for line in f.read().splitlines()` (or `.split("\\n")`), and
    the same as the source of a comprehension.

    ## Why is this bad?
    `readlines()` and `read()` load the entire file, and then a second copy as a list
    of lines, before the first line is processed. A file object is already an
    iterator over its lines and reads them one buffer at a time, so memory stays
    constant however large the file (a JSONL shard, a log, a corpus) grows.

    ## Example
    ```python
    with open(path) as f:
        for line in f.readlines():
            handle(line)
    ```

    ## Use instead
    ```python
    with open(path) as f:
        for line in f:
            handle(line)
    ```

    ## Fix safety
    `for x in f.readlines():` becomes `for x in f:`. The fix is safe when `f` is bound
    by `with open(...) as f` or `f = open(...)` in text mode in the same function and
    the loop body does not touch `f`; otherwise (an unknown receiver, a comprehension) it
    is unsafe. `read().splitlines()` and `split("\\n")` drop line endings, so they get
    no fix.

    ## Pattern
    `mlint.patterns.lazy.iter_lines`
    """

    code = "ML103"
    name = "whole-file-read-for-iteration"
    message = "Whole file read into memory to iterate its lines: iterate the file object"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("readlines(", ".read()", "read_text()")
    pattern = "mlint.patterns.lazy.iter_lines"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._defuse: dict[int, DefUse] = {}

    def visit_For(self, node: cst.For) -> None:
        self._check(node.iter, node)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._check(node.iter, None)

    def _check(self, iterable: cst.BaseExpression, loop: cst.For | None) -> None:
        if not isinstance(iterable, cst.Call) or not isinstance(iterable.func, cst.Attribute):
            return
        method = iterable.func.attr.value
        receiver = iterable.func.value
        ctx = self.context
        if method == "readlines" and not iterable.args:
            fix = None
            applicability = self._file_applicability(receiver, loop)
            if applicability is not None:
                fix = self.make_fix(
                    [ctx.replace(iterable, ctx.code(receiver))],
                    applicability,
                    "Iterate the file object",
                )
            self.report(
                iterable,
                f"`{ctx.code(iterable)}` reads the whole file: iterate `{ctx.code(receiver)}` "
                "line by line instead",
                fix=fix,
            )
        elif _is_line_split(iterable) and _is_whole_read(receiver):
            self.report(
                iterable,
                "Whole file read and split to iterate its lines: iterate the file object "
                'line by line (`line.rstrip("\\n")`) instead',
            )

    def _file_applicability(
        self, receiver: cst.BaseExpression, loop: cst.For | None
    ) -> Applicability | None:
        """SAFE for a text file bound in this function and untouched by the loop; UNSAFE if unsure."""
        if isinstance(receiver, cst.Call):
            return Applicability.UNSAFE if self._is_opener(receiver) else None
        if not isinstance(receiver, cst.Name):
            return None
        function = _enclosing_function(self)
        if function is None or loop is None:
            return Applicability.UNSAFE
        defuse = _defuse(self, function, self._defuse)
        bindings = defuse.bindings(receiver.value)
        if len(bindings) != 1 or not self._bound_to_text_file(function, bindings[0].node):
            return Applicability.UNSAFE
        if defuse.uses_within(receiver.value, loop.body):
            return Applicability.UNSAFE
        return Applicability.SAFE

    def _is_opener(self, call: cst.Call) -> bool:
        return _qualified(self, call.func) in _OPENERS

    def _bound_to_text_file(self, function: cst.FunctionDef, name: cst.Name) -> bool:
        for node in _walk(function.body):
            if (
                isinstance(node, cst.WithItem)
                and node.asname is not None
                and node.asname.name is name
                and isinstance(node.item, cst.Call)
            ):
                return self._opens_text(node.item)
            if isinstance(node, cst.Assign) and any(t.target is name for t in node.targets):
                return isinstance(node.value, cst.Call) and self._opens_text(node.value)
        return False

    def _opens_text(self, call: cst.Call) -> bool:
        if not self._is_opener(call):
            return False
        mode_arg = _keyword(call, "mode")
        if mode_arg is None and len(call.args) > 1 and call.args[1].keyword is None:
            mode_arg = call.args[1]
        if mode_arg is None:
            return True
        mode = _string_value(mode_arg.value)
        return mode is not None and "b" not in mode


def _is_line_split(call: cst.Call) -> bool:
    """``x.splitlines()`` or ``x.split("\\n")``."""
    assert isinstance(call.func, cst.Attribute)
    method = call.func.attr.value
    if method == "splitlines":
        return not call.args
    if method == "split" and len(call.args) == 1:
        return _string_value(call.args[0].value) == "\n"
    return False


def _is_whole_read(node: cst.BaseExpression) -> bool:
    """``f.read()`` or ``path.read_text()``, possibly ``.strip()``-ed."""
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("strip", "rstrip", "lstrip")
    ):
        node = node.func.value
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("read", "read_text")
        and not any(arg.keyword is None for arg in node.args)
    )


@register
class ConcatInLoop(Rule):
    """## What it does
    Checks for a loop that grows an array, tensor or DataFrame by concatenating onto
    it: `acc = pd.concat([acc, part])`, `acc = np.concatenate([acc, x])`,
    `np.append`/`vstack`/`hstack`, `torch.cat`/`torch.stack`, `df = df.append(row)`.

    ## Why is this bad?
    Each concatenation allocates a new buffer and copies everything accumulated so
    far, so the loop does quadratic work and holds two copies at its peak. Appending
    the parts to a list and concatenating once copies each element once.

    ## Example
    ```python
    frame = pd.DataFrame()
    for path in paths:
        frame = pd.concat([frame, pd.read_csv(path)])
    ```

    ## Use instead
    ```python
    frame = pd.concat([pd.read_csv(path) for path in paths])
    ```

    ## Fix safety
    No fix: the list and the final concatenation need their own lines. A loop that
    reads the accumulator for anything else than growing it (autoregressive decoding,
    `while x.shape[0] < n`) needs the concatenated value on every step and is not
    reported.

    ## Pattern
    `mlint.patterns.lazy.concat_once`
    """

    code = "ML104"
    name = "concat-in-loop"
    message = "Concatenation inside a loop copies the accumulator every iteration: collect and concatenate once"
    fix_availability = FixAvailability.NONE
    triggers = ("concat", "append(", "stack(", ".cat(")
    pattern = "mlint.patterns.lazy.concat_once"

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = dotted_name(node.targets[0].target)
        if target is None:
            return
        call = _growing_call(self, node.value, target)
        if call is None:
            return
        loop = self._enclosing_loop()
        if loop is None or self._accumulator_read_elsewhere(loop, node, target):
            return
        if self._reset_each_iteration(loop, node, target):
            return
        label = dotted_name(call.func) or "concatenate"
        self.report(
            call,
            f"`{target} = {label}(...)` in a loop copies `{target}` every iteration: "
            "collect the parts in a list and concatenate once after the loop",
        )

    def _enclosing_loop(self) -> cst.For | cst.While | None:
        for node in reversed(self.context.ancestors):
            if isinstance(node, (cst.For, cst.While)):
                return node
            if isinstance(node, _SCOPES):
                return None
        return None

    def _reset_each_iteration(
        self, loop: cst.For | cst.While, assign: cst.Assign, target: str
    ) -> bool:
        """Whether ``target`` is rebound earlier on the way to ``assign`` in every iteration.

        ``x = load(i); x = torch.cat([prefix, x])`` concatenates onto a fresh value each
        time, so nothing grows across iterations.
        """
        if isinstance(loop, cst.For) and any(
            dotted_name(n) == target
            for n in (loop.target, *_walk(loop.target))
            if isinstance(n, (cst.Name, cst.Attribute))
        ):
            return True  # for x in xs: x = torch.cat([x, pad])
        ancestors = self.context.ancestors
        path = [*ancestors[ancestors.index(loop) + 1 :], assign]
        for block, child in itertools.pairwise(path):
            if not isinstance(block, (cst.IndentedBlock, cst.SimpleStatementLine)):
                continue
            for statement in block.body:
                if statement is child:
                    break
                smalls = (
                    statement.body
                    if isinstance(statement, cst.SimpleStatementLine)
                    else [statement]
                )
                for small in smalls:
                    if (
                        isinstance(small, cst.Assign)
                        and any(dotted_name(t.target) == target for t in small.targets)
                        and _growing_call(self, small.value, target) is None
                    ):
                        return True
        return False

    def _accumulator_read_elsewhere(
        self, loop: cst.For | cst.While, assign: cst.Assign, target: str
    ) -> bool:
        """Whether the loop reads ``target`` other than to grow it or test it for ``None``."""
        skipped = {id(n) for n in _walk(assign)}
        stores: set[int] = set()
        parts: list[cst.CSTNode] = [loop.body]
        if isinstance(loop, cst.While):
            parts.append(loop.test)
        nodes = [n for part in parts for n in (part, *_walk(part))]
        for node in nodes:
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign)):
                stores.add(id(node.target))
            elif isinstance(node, cst.Comparison) and _is_none_test(node, target):
                skipped |= {id(n) for n in _walk(node)}
        for node in nodes:
            if id(node) in skipped or id(node) in stores:
                continue
            if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) == target:
                return True
        return False


def _is_none_test(node: cst.Comparison, target: str) -> bool:
    """``acc is None`` / ``acc is not None``."""
    return (
        dotted_name(node.left) == target
        and len(node.comparisons) == 1
        and isinstance(node.comparisons[0].operator, (cst.Is, cst.IsNot))
        and isinstance(node.comparisons[0].comparator, cst.Name)
        and node.comparisons[0].comparator.value == "None"
    )


def _growing_call(rule: Rule, value: cst.BaseExpression, target: str) -> cst.Call | None:
    """The call in ``value`` that concatenates onto ``target`` (through ``x if c else y``)."""
    if isinstance(value, cst.IfExp):
        return _growing_call(rule, value.body, target) or _growing_call(rule, value.orelse, target)
    if not isinstance(value, cst.Call) or not value.args:
        return None
    func = value.func
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value in ("append", "_append")
        and dotted_name(func.value) == target
    ):
        return value  # df = df.append(row): only DataFrame.append returns the new object
    name = _qualified(rule, func)
    if name not in _CONCATENATORS:
        return None
    first = value.args[0].value
    if name == "numpy.append":
        return value if dotted_name(first) == target else None
    if isinstance(first, (cst.List, cst.Tuple)) and any(
        dotted_name(e.value) == target for e in first.elements
    ):
        return value
    return None


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

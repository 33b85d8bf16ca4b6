"""ML101 `eager-dataset-load`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.lazy._shared import _SCOPES, _is_self_attribute, _qualified, _walk
from mlint.types import FixAvailability
from mlint.walker import children

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

# Qualified names of calls that read one sample from disk. Decoding or tokenising records
# that are already in memory (`json.loads(line)`, `tokenizer(text)`) is not here: there are
# no paths to keep, and doing it once is cheaper than once per epoch.
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
        "json.load",
        "pickle.load",
    }
)

# Words in a condition that mark an opt-in eager path (cache / preload into RAM).
_CACHE_FLAG_WORDS = ("cache", "preload", "in_memory", "into_memory", "in_ram", "eager", "lazy")


def _contains_name(node: cst.CSTNode, names: set[str]) -> bool:
    if isinstance(node, cst.Name):
        return node.value in names
    return any(isinstance(n, cst.Name) and n.value in names for n in _walk(node))


@register
class EagerDatasetLoad(Rule):
    """## What it does
    Checks for a map-style `Dataset` whose `__init__` reads every sample file (an image,
    an array, an audio clip, a JSON or pickle file) in a loop or comprehension and keeps
    the results on `self`. Tokenising or decoding records that are already in memory is
    not reported: there are no paths to keep, and doing it once beats once per epoch.

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

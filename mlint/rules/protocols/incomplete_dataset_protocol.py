"""ML504 `incomplete-dataset-protocol`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.classes import defined_names
from mlint.rule import Rule, register
from mlint.rules.protocols._shared import _decorator_names, _methods
from mlint.types import FixAvailability

_ABSTRACT_MARKERS = frozenset(
    {"abc.ABC", "abc.ABCMeta", "typing.Protocol", "typing_extensions.Protocol"}
)

# External bases that add no dataset methods; any other external base might.
_NEUTRAL_BASES = frozenset({"object", "typing.Generic", "typing_extensions.Generic"})

_MAP_BASES = frozenset({"torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"})

_ITERABLE_BASES = frozenset(
    {"torch.utils.data.IterableDataset", "torch.utils.data.dataset.IterableDataset"}
)


@register
class IncompleteDatasetProtocol(Rule):
    """## What it does
    Checks for `torch.utils.data.Dataset` subclasses without `__getitem__` or `__len__`,
    and `IterableDataset` subclasses without `__iter__`.

    ## Why is this bad?
    `Dataset.__getitem__` only raises `NotImplementedError`, and `Dataset` has no
    `__len__`: `DataLoader`'s default `SequentialSampler`/`RandomSampler` call
    `len(dataset)`, so a map-style dataset without `__len__` fails with `TypeError` the
    moment it is loaded (it works only with a custom sampler, which is worth a
    `# noqa`). An `IterableDataset` without `__iter__` cannot be iterated at all. These
    errors surface inside DataLoader workers, far from the class.

    ## Example
    ```python
    class Images(Dataset):
        def __init__(self, paths):
            self.paths = paths

        def __getitem__(self, i):
            return load(self.paths[i])
    ```

    ## Use instead
    ```python
    class Images(Dataset):
        def __init__(self, paths):
            self.paths = paths

        def __len__(self):
            return len(self.paths)

        def __getitem__(self, i):
            return load(self.paths[i])
    ```

    ## Fix safety
    No fix: only the author knows the length. Methods inherited from classes in the same
    file count as defined. Abstract classes (`ABC`, `abstractmethod`, `Protocol`,
    names starting with `Base`/`Abstract`), mixins (`...Mixin`), classes that another
    class in the same file subclasses, and classes with any other base from elsewhere
    (which may supply the methods) are not reported.

    ## Pattern
    `mlint.patterns.protocols.MapDataset`
    """

    code = "ML504"
    name = "incomplete-dataset-protocol"
    message = "Dataset subclass does not implement its protocol"
    fix_availability = FixAvailability.NONE
    triggers = ("Dataset",)
    pattern = "mlint.patterns.protocols.MapDataset"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        classes = self.context.classes
        iterable = classes.is_iterable_dataset(node)
        if not (iterable or classes.is_map_dataset(node)):
            return
        if self._exempt(node):
            return
        defined: set[str] = set(defined_names(node))
        for base in classes.local_bases(node):
            defined |= defined_names(base)
        name = node.name.value
        if iterable:
            if "__iter__" not in defined:
                self.report(
                    node.name,
                    f"`IterableDataset` subclass `{name}` defines no `__iter__`: "
                    "DataLoader cannot iterate it",
                )
            return
        missing = [m for m in ("__getitem__", "__len__") if m not in defined]
        if not missing:
            return
        if "__iter__" in defined and "__getitem__" in missing:
            message = (
                f"`{name}` defines `__iter__` but subclasses map-style `Dataset`: "
                "subclass `IterableDataset` instead"
            )
        elif missing == ["__len__"]:
            message = (
                f"Map-style dataset `{name}` defines no `__len__`: "
                "DataLoader's default sampler calls `len()`"
            )
        else:
            listed = " or ".join(f"`{m}`" for m in missing)
            message = f"Map-style dataset `{name}` defines no {listed}: DataLoader cannot index it"
        self.report(node.name, message)

    def _exempt(self, node: cst.ClassDef) -> bool:
        classes = self.context.classes
        name = node.name.value
        if name.startswith(("Base", "Abstract")) or name.endswith(("Base", "Mixin")):
            return True
        if classes.is_subclassed(node):
            return True
        ancestry = classes.ancestry(node)
        external = {a for a in ancestry if a not in classes.by_name}
        if external & _ABSTRACT_MARKERS:
            return True
        if external - _NEUTRAL_BASES - _MAP_BASES - _ITERABLE_BASES:
            return True
        for keyword in node.keywords:
            if keyword.keyword is not None and keyword.keyword.value == "metaclass":
                return True
        return any(
            "abstractmethod" in _decorator_names(method)
            for cls in (node, *classes.local_bases(node))
            for method in _methods(cls).values()
        )

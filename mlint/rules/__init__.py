"""Rule implementations: one package per pillar, one module per rule.

``all_rules()`` imports every module whose name does not start with ``_`` in every pillar
package, so adding a rule means adding a file to a pillar folder, nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlint.rule import Rule

# The rule registry: filled from the rule modules on the first ``all_rules()`` call.
REGISTRY: dict[str, type[Rule]] = {}


def _public(names: Iterator[pkgutil.ModuleInfo]) -> Iterator[pkgutil.ModuleInfo]:
    return (info for info in names if not info.name.rpartition(".")[2].startswith("_"))


def rule_modules(package: ModuleType) -> Iterator[ModuleType]:
    """Import and yield every public module of every public pillar package of ``package``."""
    prefix = f"{package.__name__}."
    for pillar in _public(pkgutil.iter_modules(package.__path__, prefix)):
        if not pillar.ispkg:
            continue
        pillar_package = importlib.import_module(pillar.name)
        pillar_prefix = f"{pillar.name}."
        for info in _public(pkgutil.iter_modules(pillar_package.__path__, pillar_prefix)):
            yield importlib.import_module(info.name)


def discover(package: ModuleType) -> dict[str, type[Rule]]:
    """The ``@register``-ed rules defined in the rule modules of ``package``, by code."""
    from mlint.rule import Rule, is_registered

    found: dict[str, type[Rule]] = {}
    for module in rule_modules(package):
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, Rule)):
                continue
            if value.__module__ != module.__name__ or not is_registered(value):
                continue
            other = found.get(value.code)
            if other is not None:
                raise ValueError(
                    f"duplicate rule code {value.code}: "
                    f"{other.__module__}.{other.__qualname__} and {module.__name__}.{value.__qualname__}"
                )
            found[value.code] = value
    return found


@cache
def _load() -> None:
    REGISTRY.update(discover(sys.modules[__name__]))


def all_rules() -> dict[str, type[Rule]]:
    """Every rule by code, sorted; imports the rule modules on first use."""
    _load()
    return dict(sorted(REGISTRY.items()))

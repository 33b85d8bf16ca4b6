"""ML403 `config-key-typo`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.origin import QUOTED_HYPERPARAMETER_WORDS, string_key
from mlint.rule import Rule, register
from mlint.rules.config._shared import _get_call, _name_uses, _ScopedOrigins, _Use
from mlint.types import Applicability, FixAvailability


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, stopping early once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def closest_key(key: str, defined: frozenset[str]) -> str | None:
    """The one defined key a misspelt ``key`` most likely means, ``None`` when unsure."""
    if key in defined:
        return None
    same_case = [d for d in defined if d.lower() == key.lower()]
    if len(same_case) == 1:
        return same_case[0]
    # Short keys are close to everything: allow fewer edits.
    limit = 2 if len(key) >= 6 else 1 if len(key) >= 3 else 0
    if limit == 0:
        return None
    scored = sorted((_edit_distance(key, d, limit), d) for d in defined)
    best = [d for score, d in scored if score == scored[0][0] and score <= limit]
    return best[0] if len(best) == 1 else None


@register
class ConfigKeyTypo(Rule):
    """## What it does
    Checks for a literal key read from a hyperparameter dict that is not one of its keys but
    is within two edits of one, or differs only in case (`cfg["learnin_rate"]` when
    `learning_rate` is defined).

    ## Why is this bad?
    The misspelt read raises `KeyError` late in a run, or, through `.get`, silently returns
    the default.

    ## Example
    ```python
    cfg = {"learning_rate": 3e-4, "batch_size": 32, "epochs": 10}
    lr = cfg["learnin_rate"]
    ```

    ## Use instead
    ```python
    cfg = {"learning_rate": 3e-4, "batch_size": 32, "epochs": 10}
    lr = cfg["learning_rate"]
    ```

    ## Fix safety
    The fix, the closest defined key, is unsafe: the key may be meant to be missing. Keys
    written later with a literal (`cfg["warmup"] = 100`) count as defined; a dict also
    written with dynamic keys (`cfg[name] = ...`, `cfg.update(...)`) is not checked.
    Shorter keys allow fewer edits (one for 3-5 characters, only case for 1-2).

    ## Pattern
    `mlint.patterns.config.TrainConfig`
    """

    code = "ML403"
    name = "config-key-typo"
    message = "Config key is not defined; did you mean a close one?"
    fix_availability = FixAvailability.SOMETIMES
    # Defined keys come only from a hyperparameter dict literal in the same file.
    triggers = QUOTED_HYPERPARAMETER_WORDS
    pattern = "mlint.patterns.config.TrainConfig"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._origins = _ScopedOrigins(self)
        self._keys: dict[str, frozenset[str] | None] = {}

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not (isinstance(node.value, cst.Name) and len(node.slice) == 1):
            return
        index = node.slice[0].slice
        if not isinstance(index, cst.Index) or not isinstance(index.value, cst.SimpleString):
            return
        parent = self.context.parent
        if isinstance(parent, (cst.AssignTarget, cst.Del)):
            return
        if isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node:
            return
        self._check(node.value.value, index.value)

    def visit_Call(self, node: cst.Call) -> None:
        read = _get_call(node)
        if read is not None:
            literal = node.args[0].value
            assert isinstance(literal, cst.SimpleString)
            self._check(read[0], literal)

    def _check(self, name: str, literal: cst.SimpleString) -> None:
        key = string_key(literal)
        origin = self._origins.origins().get(name)
        if key is None or origin is None or origin.keys is None:
            return
        defined = self._defined_keys(name, origin.keys)
        if defined is None:
            return
        closest = closest_key(key, defined)
        if closest is None:
            return
        fix = None
        if not any(c in closest for c in "\\'\"") and "\n" not in closest:
            new = f"{literal.prefix}{literal.quote}{closest}{literal.quote}"
            fix = self.make_fix(
                [self.context.replace(literal, new)],
                Applicability.UNSAFE,
                f"Use the defined key {closest!r}",
            )
        self.report(
            literal,
            f"Config key {key!r} is not defined in `{name}`; did you mean {closest!r}?",
            fix=fix,
        )

    def _defined_keys(self, name: str, literal_keys: frozenset[str]) -> frozenset[str] | None:
        """The literal keys plus literal writes; ``None`` when written with dynamic keys."""
        if name not in self._keys:
            keys: set[str] | None = set(literal_keys)
            for use in _name_uses(self.context, self.context.module, name):
                written = _written_key(use)
                if written is _DYNAMIC:
                    keys = None
                    break
                if isinstance(written, str) and keys is not None:
                    keys.add(written)
            self._keys[name] = frozenset(keys) if keys is not None else None
        return self._keys[name]


_DYNAMIC = object()


def _written_key(use: _Use) -> object:
    """The literal key a use writes, ``_DYNAMIC`` for an unknown write, ``None`` for a read."""
    parent, grandparent = use.parent, use.grandparent
    if isinstance(parent, cst.Attribute) and parent.value is use.name:
        if parent.attr.value in ("update", "setdefault", "__setitem__", "pop", "clear"):
            call = grandparent
            if (
                parent.attr.value == "setdefault"
                and isinstance(call, cst.Call)
                and call.args
                and string_key(call.args[0].value) is not None
            ):
                return string_key(call.args[0].value)
            return _DYNAMIC
        return None
    if isinstance(parent, cst.Subscript) and parent.value is use.name:
        written = isinstance(grandparent, cst.AssignTarget) or (
            isinstance(grandparent, (cst.AugAssign, cst.AnnAssign)) and grandparent.target is parent
        )
        if not written:
            return None
        index = parent.slice[0].slice if len(parent.slice) == 1 else None
        key = string_key(index.value) if isinstance(index, cst.Index) else None
        return key if key is not None else _DYNAMIC
    if isinstance(parent, cst.AugAssign) and parent.target is use.name:
        return _DYNAMIC  # cfg |= other
    return None

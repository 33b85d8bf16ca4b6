"""Configuration files: the strict model, ``extend`` chains, ``--config KEY = VALUE`` overrides.

A configuration is a stack of layers, read in order and merged: the files an ``extend``
chain names (the farthest base first), the file itself, then each ``--config`` override.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlint.types import ConfigError, OutputFormat


class FileConfig(BaseModel):
    """The ``[tool.mlint]`` table (or a whole ``mlint.toml``)."""

    # strict: a TOML string is not a bool (`unsafe-fixes = "yes"` is an error, not True).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)

    extend: str | None = None
    select: list[str] | None = None
    extend_select: list[str] = Field(default_factory=list, alias="extend-select")
    ignore: list[str] = Field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-file-ignores")
    fixable: list[str] | None = None
    unfixable: list[str] = Field(default_factory=list)
    exclude: list[str] | None = None
    extend_exclude: list[str] = Field(default_factory=list, alias="extend-exclude")
    respect_gitignore: bool = Field(default=True, alias="respect-gitignore")
    force_exclude: bool = Field(default=False, alias="force-exclude")
    output_format: OutputFormat = Field(default="full", alias="output-format")
    cache_dir: str = Field(default=".mlint_cache", alias="cache-dir")
    target_version: Literal["py310", "py311", "py312", "py313", "py314"] = Field(
        default="py310", alias="target-version"
    )
    unsafe_fixes: bool = Field(default=False, alias="unsafe-fixes")
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Layer:
    """One file's (or one ``--config`` override's) table, validated."""

    config: FileConfig
    keys: frozenset[str]  # the fields this layer sets
    directory: Path  # what its relative paths are relative to
    where: str  # whom an error in it is blamed on


@dataclass(frozen=True)
class Selection:
    """One layer's rule selectors, each with whom a typo in it is blamed on."""

    select: tuple[tuple[str, str], ...] | None  # None: this layer does not reset the set
    extend: tuple[tuple[str, str], ...] = ()
    ignore: tuple[tuple[str, str], ...] = ()


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _format_validation_error(error: ValidationError, where: str, model: type[BaseModel]) -> str:
    first = error.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        last = str(first["loc"][-1])
        hint = did_you_mean(last, _field_names(model)) if len(first["loc"]) == 1 else ""
        return f"{where}: unknown key `{key}`{hint}"
    return f"{where}: invalid value for `{key}`: {first['msg']}"


def _tomllib() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


def _load_toml(path: Path) -> dict[str, Any]:
    tomllib = _tomllib()
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: cannot read config: not UTF-8 (invalid byte "
            f"0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return data


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    return names.get(type(value), "an array" if isinstance(value, list) else "a date or time")


def _validate(table: dict[str, Any], directory: Path, where: str) -> Layer:
    try:
        config = FileConfig.model_validate(table)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, where, FileConfig)) from None
    return Layer(config, frozenset(config.model_fields_set), directory, where)


def read_layer(path: Path) -> Layer:
    """One config file's own table (its ``extend`` not followed)."""
    data = _load_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: `tool` must be a table, not {_toml_type(tool)}")
        table = tool.get("mlint", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: `tool.mlint` must be a table, not {_toml_type(table)}")
        return _validate(table, path.parent.resolve(), f"{path} [tool.mlint]")
    return _validate(data, path.parent.resolve(), str(path))


def read_layers(path: Path) -> list[Layer]:
    """The layers of ``path`` and of the files its ``extend`` chain names, the farthest first."""
    chain: list[Layer] = []
    seen: list[Path] = []
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        if resolved in seen:
            cycle = " -> ".join(str(p) for p in (*seen, resolved))
            raise ConfigError(f"{path}: `extend` leads back to a file already read: {cycle}")
        seen.append(resolved)
        layer = read_layer(current)
        chain.append(layer)
        current = None
        if layer.config.extend is not None:
            target = Path(os.path.expandvars(os.path.expanduser(layer.config.extend)))
            base = target if target.is_absolute() else layer.directory / target
            if not base.is_file():
                raise ConfigError(
                    f"{layer.where}: `extend` names `{layer.config.extend}`, which does not "
                    f"exist ({base})"
                )
            current = base
    return chain[::-1]


def read_override(text: str, directory: Path) -> Layer:
    """A ``--config 'KEY = VALUE'`` override, validated as a line of the ``[tool.mlint]`` table."""
    where = f"--config `{text}`"
    tomllib = _tomllib()
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{where}: not a path to a .toml file nor a TOML `KEY = VALUE` pair ({exc})"
        ) from None
    if "extend" in table:
        raise ConfigError(f"{where}: `extend` is for configuration files; pass --config FILE")
    return _validate(table, directory, where)


# Merging ----------------------------------------------------------------------------

_SELECTION_KEYS = {"select", "extend_select", "ignore", "fixable", "unfixable"}
_ACCUMULATE = {"extend_exclude"}


def _rebase(pattern: str, directory: Path, root: Path) -> str:
    """A base file's path pattern, made to mean the same seen from ``root``'s file."""
    if directory == root or "/" not in pattern.rstrip("/") or os.path.isabs(pattern):
        return pattern
    return os.path.normpath(directory / pattern) + ("/" if pattern.endswith("/") else "")


def _rebased(key: str, value: Any, directory: Path, root: Path) -> Any:
    if directory == root:
        return value
    if key in ("exclude", "extend_exclude"):
        return [_rebase(p, directory, root) for p in value]
    if key == "per_file_ignores":
        return {_rebase(p, directory, root): codes for p, codes in value.items()}
    if key == "cache_dir" and not os.path.isabs(value):
        return os.path.normpath(directory / value)
    return value


def merge(
    layers: Sequence[Layer], root: Path
) -> tuple[FileConfig, list[Selection], list[Selection]]:
    """The merged options, and the rule and fix selections layer by layer.

    A later layer replaces a key an earlier one set, except ``extend-exclude`` (added to) and
    ``rules`` (merged per rule). Paths in a file reached by ``extend`` stay relative to
    that file.
    """
    values: dict[str, Any] = {}
    selections: list[Selection] = []
    fix_selections: list[Selection] = []
    for layer in layers:
        config = layer.config
        for key in sorted(layer.keys - _SELECTION_KEYS - {"extend"}):
            value = _rebased(key, getattr(config, key), layer.directory, root)
            if key in _ACCUMULATE:
                values[key] = [*values.get(key, []), *value]
            elif key == "rules":
                merged = dict(values.get("rules", {}))
                for rule, options in value.items():
                    merged[rule] = {**merged.get(rule, {}), **options}
                values["rules"] = merged
            else:
                values[key] = value
        blame = layer.where
        if layer.keys & {"select", "extend_select", "ignore"}:
            selections.append(
                Selection(
                    select=None if config.select is None else tag_selectors(config.select, blame),
                    extend=tag_selectors(config.extend_select, blame),
                    ignore=tag_selectors(config.ignore, blame),
                )
            )
        if layer.keys & {"fixable", "unfixable"}:
            fix_selections.append(
                Selection(
                    select=None if config.fixable is None else tag_selectors(config.fixable, blame),
                    ignore=tag_selectors(config.unfixable, blame),
                )
            )
    return FileConfig.model_construct(**values), selections, fix_selections


def tag_selectors(selectors: Iterable[str], where: str) -> tuple[tuple[str, str], ...]:
    return tuple((selector, where) for selector in selectors)

"""Configuration: the file models (pydantic, strict), discovery, and rule selection."""

from __future__ import annotations

import dataclasses
import difflib
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlint.files import find_config_file
from mlint.types import (
    Applicability,
    ConfigError,
    LintSettings,
    OutputFormat,
    Overrides,
    Settings,
)

__all__ = [
    "ConfigError",
    "FileConfig",
    "LintSettings",
    "Overrides",
    "Settings",
    "find_config_file",
    "resolve_settings",
]


DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pytype",
    ".ruff_cache",
    ".mlint_cache",
    ".pytest_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pypackages__",
    "__pycache__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


class FileConfig(BaseModel):
    """The ``[tool.mlint]`` table (or a whole ``mlint.toml``)."""

    # strict: a TOML string is not a bool (`unsafe-fixes = "yes"` is an error, not True).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)

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


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _format_validation_error(error: ValidationError, where: str, model: type[BaseModel]) -> str:
    first = error.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        last = str(first["loc"][-1])
        hint = _did_you_mean(last, _field_names(model)) if len(first["loc"]) == 1 else ""
        return f"{where}: unknown key `{key}`{hint}"
    return f"{where}: invalid value for `{key}`: {first['msg']}"


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
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


def read_config_file(path: Path) -> tuple[FileConfig, Path]:
    """Parse one config file; ``(config, the directory its paths are relative to)``."""
    data = _load_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: `tool` must be a table, not {_toml_type(tool)}")
        table = tool.get("mlint", {})
        where = f"{path} [tool.mlint]"
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: `tool.mlint` must be a table, not {_toml_type(table)}")
    else:
        table = data
        where = str(path)
    try:
        config = FileConfig.model_validate(table)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, where, FileConfig)) from None
    return config, path.parent.resolve()


# Rule selection --------------------------------------------------------------


def expand_selector(selector: str, codes_by_name: Mapping[str, str]) -> set[str]:
    """The rule codes a selector names: ``ALL``, a code prefix, or a rule name."""
    codes = set(codes_by_name.values())
    if not selector.strip():
        raise ConfigError('empty rule selector `""` (write `ALL` to select every rule)')
    if selector == "ALL":
        return codes
    if selector in codes_by_name:
        return {codes_by_name[selector]}
    matched = {code for code in codes if code.startswith(selector)}
    if not matched:
        raise ConfigError(
            f"unknown rule selector `{selector}`"
            + _did_you_mean(selector, sorted(codes | set(codes_by_name)))
        )
    return matched


def resolve_selection(
    select: Iterable[str],
    extend_select: Iterable[str],
    ignore: Iterable[str],
    codes_by_name: Mapping[str, str],
) -> frozenset[str]:
    enabled: set[str] = set()
    for selector in (*select, *extend_select):
        enabled |= expand_selector(selector, codes_by_name)
    for selector in ignore:
        enabled -= expand_selector(selector, codes_by_name)
    return frozenset(enabled)


def _validate_rule_options(
    rules: Mapping[str, dict[str, Any]], where: str, codes_by_name: Mapping[str, str]
) -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    from mlint.rules import all_rules

    registry = all_rules()
    out: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
    for key, options in sorted(rules.items()):
        code = codes_by_name.get(key, key)
        if code not in registry:
            raise ConfigError(
                f"{where}: unknown rule `{key}` in `rules`"
                + _did_you_mean(key, sorted(registry) + sorted(codes_by_name))
            )
        model = registry[code].options_model
        if model is None:
            raise ConfigError(f"{where}: rule `{key}` has no options")
        validated = _validate_options(model, options, f"{where} rules.{key}")
        out.append((code, tuple(sorted(dataclasses.asdict(validated).items()))))
    return tuple(out)


def _validate_options(model: type[Any], options: dict[str, Any], where: str) -> Any:
    """A rule's options dataclass from its kebab-case table, validated by pydantic."""
    from pydantic import TypeAdapter

    names = [f.name.replace("_", "-") for f in dataclasses.fields(model)]
    data = {key.replace("-", "_"): value for key, value in options.items()}
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = str(first["loc"][0]).replace("_", "-") if first["loc"] else ""
        if first["type"] == "unexpected_keyword_argument" or first["type"] == "extra_forbidden":
            raise ConfigError(f"{where}: unknown key `{loc}`{_did_you_mean(loc, names)}") from None
        message = first["msg"].removeprefix("Value error, ")
        detail = f" for `{loc}`" if loc else ""
        raise ConfigError(f"{where}: invalid value{detail}: {message}") from None


def resolve_settings(
    config_file: Path | None,
    overrides: Overrides,
    isolated: bool = False,
    search_from: Path | None = None,
) -> Settings:
    """Build the run's ``Settings`` from the discovered or given config file and the flags."""
    from mlint.manifest import OPT_IN, RULE_NAMES

    path = None if isolated else (config_file or find_config_file(search_from or Path.cwd()))
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: config file not found")
    if path is not None:
        file_config, root = read_config_file(path)
        where = str(path)
    else:
        file_config, root, where = FileConfig(), Path.cwd().resolve(), "defaults"

    codes_by_name = {name: code for code, name in RULE_NAMES.items()}
    codes_by_name.update({code: code for code in RULE_NAMES})

    select = overrides.select if overrides.select is not None else file_config.select
    # Without a `select`, the default set: every rule but the opt-in ones.
    select = select if select is not None else sorted(set(RULE_NAMES) - OPT_IN)
    try:
        enabled = resolve_selection(
            select,
            [*file_config.extend_select, *overrides.extend_select],
            [*file_config.ignore, *overrides.ignore],
            codes_by_name,
        )
        fixable = resolve_selection(
            overrides.fixable or file_config.fixable or ["ALL"],
            [],
            [*file_config.unfixable, *overrides.unfixable],
            codes_by_name,
        )
        pfi: dict[str, set[str]] = {}
        for pattern, selectors in file_config.per_file_ignores.items():
            pfi.setdefault(pattern, set()).update(
                resolve_selection(selectors, [], [], codes_by_name)
            )
        for item in overrides.per_file_ignores:
            pattern, sep, selectors_text = item.rpartition(":")
            if not sep:
                raise ConfigError(f"--per-file-ignores expects PATTERN:CODES, got `{item}`")
            pfi.setdefault(pattern, set()).update(
                resolve_selection(selectors_text.split(","), [], [], codes_by_name)
            )
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None

    unsafe = (
        overrides.unsafe_fixes if overrides.unsafe_fixes is not None else file_config.unsafe_fixes
    )
    lint = LintSettings(
        enabled=enabled,
        fixable=fixable,
        rule_options=(
            _validate_rule_options(file_config.rules, where, codes_by_name)
            if file_config.rules
            else ()
        ),
        per_file_ignores=tuple((p, frozenset(c)) for p, c in sorted(pfi.items())),
        project_root=str(root),
        applicability=Applicability.UNSAFE if unsafe else Applicability.SAFE,
        ignore_noqa=overrides.ignore_noqa,
    )
    from mlint.cache import cache_dir_problem

    configured = overrides.cache_dir or file_config.cache_dir
    problem = cache_dir_problem(configured, root)
    if problem is not None:
        source = "--cache-dir" if overrides.cache_dir else f"{where}: cache-dir"
        raise ConfigError(
            f"{source} `{configured}` {problem}; the cache needs a folder of its own, "
            "such as `.mlint_cache`"
        )
    cache_dir = Path(configured)
    if not cache_dir.is_absolute():
        cache_dir = root / cache_dir
    return Settings(
        lint=lint,
        config_path=str(path) if path else None,
        project_root=str(root),
        exclude=tuple(
            overrides.exclude
            if overrides.exclude is not None
            else (file_config.exclude if file_config.exclude is not None else DEFAULT_EXCLUDES)
        ),
        extend_exclude=(*file_config.extend_exclude, *overrides.extend_exclude),
        respect_gitignore=(
            overrides.respect_gitignore
            if overrides.respect_gitignore is not None
            else file_config.respect_gitignore
        ),
        force_exclude=(
            overrides.force_exclude
            if overrides.force_exclude is not None
            else file_config.force_exclude
        ),
        output_format=overrides.output_format or file_config.output_format,
        cache_dir=str(cache_dir),
        target_version=file_config.target_version,
        unsafe_fixes=unsafe,
    )

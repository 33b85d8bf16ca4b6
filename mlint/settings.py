"""Configuration: the file models (pydantic, strict), discovery, and rule selection."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mlint.config_file import (
    FileConfig,
    Selection,
    did_you_mean,
    merge,
    read_layers,
    read_override,
    tag_selectors,
)
from mlint.files import find_config_file
from mlint.types import (
    Applicability,
    ConfigError,
    LintSettings,
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


# Rule selection --------------------------------------------------------------


def _specificity(selector: str, codes_by_name: Mapping[str, str]) -> int:
    """``ALL`` < a prefix (longer is more specific) < a whole code or rule name."""
    if selector == "ALL":
        return 0
    return 100 if selector in codes_by_name else len(selector)


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
            + did_you_mean(selector, sorted(codes | set(codes_by_name)))
        )
    return matched


def _expand(selector: str, where: str, codes_by_name: Mapping[str, str]) -> set[str]:
    try:
        return expand_selector(selector, codes_by_name)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def resolve_layers(
    start: Iterable[str], layers: Sequence[Selection], codes_by_name: Mapping[str, str]
) -> frozenset[str]:
    """The codes left enabled after each layer of selectors, in order, as ruff resolves them.

    A layer with ``select`` starts again from its own selectors; within a layer the more
    specific selector wins (``ignore = ["ML5"]`` with ``extend-select = ["ML501"]`` keeps
    ML501), and at equal specificity ``ignore`` wins.
    """
    enabled = set(start)
    for layer in layers:
        updates: dict[str, tuple[int, bool]] = {}
        chosen = [(s, w, True) for s, w in (*(layer.select or ()), *layer.extend)]
        chosen += [(s, w, False) for s, w in layer.ignore]
        for selector, where, on in chosen:
            rank = (_specificity(selector, codes_by_name), not on)
            for code in _expand(selector, where, codes_by_name):
                if code not in updates or rank >= (updates[code][0], not updates[code][1]):
                    updates[code] = (rank[0], on)
        if layer.select is not None:
            enabled = set()
        enabled |= {code for code, (_, on) in updates.items() if on}
        enabled -= {code for code, (_, on) in updates.items() if not on}
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
                + did_you_mean(key, sorted(registry) + sorted(codes_by_name))
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
            raise ConfigError(f"{where}: unknown key `{loc}`{did_you_mean(loc, names)}") from None
        message = first["msg"].removeprefix("Value error, ")
        detail = f" for `{loc}`" if loc else ""
        raise ConfigError(f"{where}: invalid value{detail}: {message}") from None


Flag = tuple[Sequence[str] | None, str]


def _flag_layer(select: Flag, extend: Flag, ignore: Flag) -> list[Selection]:
    """The command line's selectors as one last layer (none when no flag was given)."""
    if select[0] is None and not extend[0] and not ignore[0]:
        return []
    return [
        Selection(
            select=None if select[0] is None else tag_selectors(select[0], select[1]),
            extend=tag_selectors(extend[0] or (), extend[1]),
            ignore=tag_selectors(ignore[0] or (), ignore[1]),
        )
    ]


def resolve_settings(
    config_file: Path | None,
    overrides: Overrides,
    isolated: bool = False,
    search_from: Path | None = None,
) -> Settings:
    """Build the ``Settings`` from the discovered or given config file and the flags.

    Layers, later over earlier: the files an ``extend`` chain names, the config file, each
    ``--config KEY = VALUE``, then the dedicated flags (``--select``, ...).
    """
    from mlint.manifest import OPT_IN, RULE_NAMES

    path = None if isolated else (config_file or find_config_file(search_from or Path.cwd()))
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: config file not found")
    if path is not None:
        layers = read_layers(path)
        root, where = path.parent.resolve(), str(path)
    else:
        layers, root, where = [], Path.cwd().resolve(), "defaults"
    layers += [read_override(text, root) for text in overrides.config_overrides]
    file_config, selections, fix_selections = merge(layers, root)

    codes_by_name = {name: code for code, name in RULE_NAMES.items()}
    codes_by_name.update({code: code for code in RULE_NAMES})

    selections += _flag_layer(
        (overrides.select, "--select"),
        (overrides.extend_select, "--extend-select"),
        (overrides.ignore, "--ignore"),
    )
    fix_selections += _flag_layer(
        (overrides.fixable, "--fixable"), ([], ""), (overrides.unfixable, "--unfixable")
    )
    # Without a `select`, the default set: every rule but the opt-in ones.
    enabled = resolve_layers(sorted(set(RULE_NAMES) - OPT_IN), selections, codes_by_name)
    fixable = resolve_layers(RULE_NAMES, fix_selections, codes_by_name)
    pfi: dict[str, set[str]] = {}
    for pattern, selectors in file_config.per_file_ignores.items():
        for selector in selectors:
            pfi.setdefault(pattern, set()).update(_expand(selector, where, codes_by_name))
    for item in overrides.per_file_ignores:
        pattern, sep, selectors_text = item.rpartition(":")
        if not sep:
            raise ConfigError(f"--per-file-ignores expects PATTERN:CODES, got `{item}`")
        for selector in selectors_text.split(","):
            pfi.setdefault(pattern, set()).update(
                _expand(selector, "--per-file-ignores", codes_by_name)
            )

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

"""Rule documentation: Markdown pages and JSON, generated from the rule classes."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

from mlint.rule import Rule
from mlint.rules import all_rules
from mlint.types import FixAvailability

DOCS_HOME = "https://github.com/mlint/mlint"
DOCS_URL = DOCS_HOME + "/blob/main/rules/{code}.md"

_FIX_TEXT = {
    FixAvailability.NONE: "No fix is available.",
    FixAvailability.SOMETIMES: "A fix is sometimes available.",
    FixAvailability.ALWAYS: "A fix is always available.",
}


# Where the hand judgements of the real-world corpus are summed up (benchmarks/realworld/).
PRECISION_JSON = (
    Path(__file__).resolve().parent.parent / "benchmarks" / "realworld" / "precision.json"
)
# A rule with fewer hits than this on the corpus has no meaningful figure.
MEASURED_MIN_HITS = 5


@dataclasses.dataclass(frozen=True)
class Precision:
    """A rule's figures on the real-world corpus: its hits and the verdicts of its judged sample."""

    hits: int
    judged: int
    tp: int
    low_value: int
    fp: int

    @property
    def measured(self) -> bool:
        return self.hits >= MEASURED_MIN_HITS

    @property
    def meets_default_bar(self) -> bool:
        """At least 90% TP in a judged sample of at least 10 (or every hit when fewer)."""
        enough = self.judged >= min(10, self.hits) and self.judged > 0
        return enough and self.tp >= 0.9 * self.judged

    def sentence(self) -> str:
        judged = (
            f"judged {self.judged}, {self.tp} TP, {self.low_value} low-value, {self.fp} FP"
            f" of {self.hits} hit{'s' if self.hits != 1 else ''} on the real-world corpus"
        )
        if self.measured:
            return f"Measured: {judged}."
        return (
            f"Unmeasured: fewer than {MEASURED_MIN_HITS} hits on the real-world corpus "
            f"({judged}); its fixtures cover the near misses its docs list."
        )


@cache
def precision_figures() -> dict[str, Precision]:
    """Per rule code, the figures ``benchmarks/realworld/figures.py`` computed from verdicts.tsv.

    Read from the generated manifest, so an installed mlint (without ``benchmarks/``) has them.
    """
    from mlint.manifest import PRECISION

    return {code: Precision(*values) for code, values in PRECISION.items()}


def _precision_source() -> dict[str, tuple[int, int, int, int, int]]:
    """The figures as ``figures.py`` last wrote them (for generating the manifest)."""
    if not PRECISION_JSON.is_file():
        return {}
    data = json.loads(PRECISION_JSON.read_text(encoding="utf-8"))
    keys = ("hits", "judged", "tp", "low_value", "fp")
    return {code: tuple(int(row[k]) for k in keys) for code, row in sorted(data.items())}  # type: ignore[misc]


def status_text(rule: type[Rule]) -> str:
    if rule.default:
        return "default (on without configuration)"
    return (
        "opt-in (off unless selected: by code, name, prefix or `ALL`, "
        f"e.g. `--extend-select {rule.code}`)"
    )


def rule_url(code: str) -> str:
    return DOCS_URL.format(code=code)


def rule_markdown(rule: type[Rule]) -> str:
    figures = precision_figures().get(rule.code)
    parts = [
        f"# {rule.name} ({rule.code})",
        "",
        f"Message: {rule.message}",
        "",
        f"Fix: {_FIX_TEXT[rule.fix_availability]}",
        "",
        f"Status: {status_text(rule)}",
        "",
        figures.sentence() if figures else "Unmeasured: no figures on the real-world corpus.",
        "",
        rule.documentation(),
    ]
    if rule.pattern and "## Pattern" not in rule.documentation():
        parts += ["", "## Pattern", f"`{rule.pattern}`"]
    model = rule.options_model
    if model is not None and "## Options" not in rule.documentation():
        parts += ["", "## Options", ""]
        for option in dataclasses.fields(model):
            key = option.name.replace("_", "-")
            description = option.metadata.get("description", "")
            parts.append(f"- `{key}` (default `{option.default!r}`): {description}".rstrip())
    return "\n".join(parts).rstrip() + "\n"


def rule_json(rule: type[Rule]) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "message": rule.message,
        "fix": rule.fix_availability.value,
        "pattern": rule.pattern,
        "status": "default" if rule.default else "opt-in",
        "precision": dataclasses.asdict(figures)
        if (figures := precision_figures().get(rule.code))
        else None,
        "url": rule_url(rule.code),
        "explanation": rule.documentation(),
    }


def catalogue() -> dict[str, str]:
    """File name -> content of every page of the ``rules/`` catalogue."""
    registry = all_rules()
    pages = {f"{code}.md": rule_markdown(rule) for code, rule in registry.items()}
    figures = precision_figures()
    rows = [
        "# mlint rules",
        "",
        "**Status**: a rule is *default* (on without configuration) only when at least 90% of its",
        "judged sample on real ML application code was worth acting on (`TP`; technically right",
        "but pointless counts against it); the others are *opt-in*: select them by code, name,",
        "prefix or `ALL`. **Real-world** is `TP/judged` of the hand-judged sample and the hits on the",
        "corpus of [`benchmarks/realworld/`](../benchmarks/realworld/README.md), generated from its",
        f"`verdicts.tsv`; rules with fewer than {MEASURED_MIN_HITS} hits there are *unmeasured*.",
        "",
        "| Code | Name | Message | Fix | Status | Real-world |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for code, rule in registry.items():
        fix = {"none": "", "sometimes": "🛠 sometimes", "always": "🛠"}[rule.fix_availability.value]
        message = rule.message.replace("|", "\\|")
        status = "default" if rule.default else "opt-in"
        figure = figures.get(code)
        if figure is None or not figure.measured:
            shown = f"unmeasured ({figure.hits if figure else 0} hits)"
        else:
            shown = f"{figure.tp}/{figure.judged} TP ({figure.hits} hits)"
        rows.append(
            f"| [{code}]({code}.md) | `{rule.name}` | {message} | {fix} | {status} | {shown} |"
        )
    pages["README.md"] = "\n".join(rows) + "\n"
    return pages


MANIFEST = Path(__file__).resolve().parent / "manifest.py"


def manifest_source() -> str:
    """The text of ``mlint/manifest.py``: every rule's code and name, importable without libcst."""
    lines = [
        '"""Rule codes and names, generated by ``python -m mlint.docs``: do not edit.',
        "",
        "Settings validate selectors against this table, so a run served from the cache",
        "never imports libcst or the rule modules.",
        '"""',
        "",
        "RULE_NAMES: dict[str, str] = {",
    ]
    registry = all_rules()
    lines += [f'    "{code}": "{rule.name}",' for code, rule in registry.items()]
    lines.append("}")
    lines += ["", "# Rules that run only when selected (by code, name, prefix or ALL)."]
    opt_in = [code for code, rule in registry.items() if not rule.default]
    if opt_in:
        lines += ["OPT_IN: frozenset[str] = frozenset(", "    {"]
        lines += [f'        "{code}",' for code in opt_in]
        lines += ["    }", ")"]
    else:
        lines.append("OPT_IN: frozenset[str] = frozenset()")
    lines += [
        "",
        "# Real-world figures from benchmarks/realworld/precision.json:",
        "# code -> (hits, judged, TP, low-value, FP).",
        "PRECISION: dict[str, tuple[int, int, int, int, int]] = {",
    ]
    lines += [f'    "{code}": {values},' for code, values in _precision_source().items()]
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_catalogue(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    pages = {f"{code}.md" for code in all_rules()} | {"README.md"}
    for stale in directory.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    MANIFEST.write_text(manifest_source(), encoding="utf-8")
    precision_figures.cache_clear()  # the pages read the figures through the new manifest
    import importlib

    import mlint.manifest

    importlib.reload(mlint.manifest)
    for name, text in catalogue().items():
        (directory / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_catalogue(Path(__file__).resolve().parent.parent / "rules")

"""Rule documentation: Markdown pages and JSON, generated from the rule classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlint.rule import Rule, all_rules
from mlint.types import FixAvailability

DOCS_URL = "https://github.com/mlint/mlint/blob/main/rules/{code}.md"

_FIX_TEXT = {
    FixAvailability.NONE: "No fix is available.",
    FixAvailability.SOMETIMES: "A fix is sometimes available.",
    FixAvailability.ALWAYS: "A fix is always available.",
}


def rule_url(code: str) -> str:
    return DOCS_URL.format(code=code)


def rule_markdown(rule: type[Rule]) -> str:
    parts = [
        f"# {rule.name} ({rule.code})",
        "",
        f"Message: {rule.message}",
        "",
        f"Fix: {_FIX_TEXT[rule.fix_availability]}",
        "",
        rule.documentation(),
    ]
    if rule.pattern and "## Pattern" not in rule.documentation():
        parts += ["", "## Pattern", f"`{rule.pattern}`"]
    fields = rule.options_model.model_fields
    if fields and "## Options" not in rule.documentation():
        parts += ["", "## Options", ""]
        for name, info in fields.items():
            key = info.alias or name
            parts.append(
                f"- `{key}` (default `{info.default!r}`): {info.description or ''}".rstrip()
            )
    return "\n".join(parts).rstrip() + "\n"


def rule_json(rule: type[Rule]) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "message": rule.message,
        "fix": rule.fix_availability.value,
        "pattern": rule.pattern,
        "url": rule_url(rule.code),
        "explanation": rule.documentation(),
    }


def catalogue() -> dict[str, str]:
    """File name -> content of every page of the ``rules/`` catalogue."""
    registry = all_rules()
    pages = {f"{code}.md": rule_markdown(rule) for code, rule in registry.items()}
    rows = ["# mlint rules", "", "| Code | Name | Message | Fix |", "| --- | --- | --- | --- |"]
    for code, rule in registry.items():
        fix = {"none": "", "sometimes": "🛠 sometimes", "always": "🛠"}[rule.fix_availability.value]
        message = rule.message.replace("|", "\\|")
        rows.append(f"| [{code}]({code}.md) | `{rule.name}` | {message} | {fix} |")
    pages["README.md"] = "\n".join(rows) + "\n"
    return pages


def write_catalogue(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    pages = catalogue()
    for stale in directory.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    for name, text in pages.items():
        (directory / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_catalogue(Path(__file__).resolve().parent.parent / "rules")

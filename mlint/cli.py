"""The ``mlint`` command line: flags in, settings built, engine called, reporter picked."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from mlint import __version__
from mlint.types import OUTPUT_FORMATS

EXIT_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"mlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="mlint")
def main() -> None:
    """mlint: a linter for machine-learning Python code."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--fix/--no-fix", default=False, help="Apply safe fixes.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", default=None, help="Also consider unsafe fixes.")
@click.option("--show-fixes/--no-show-fixes", default=False, help="List the fixes applied.")
@click.option("--diff", is_flag=True, help="Print a diff of the fixes instead of writing them.")
@click.option("--fix-only", is_flag=True, help="Apply fixes; report nothing that remains.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when diagnostics remain.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when any fix was applied.")
@click.option("--select", multiple=True, help="Rule codes, prefixes or names to enable.")
@click.option("--extend-select", multiple=True, help="Add to the selected rules.")
@click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to disable.")
@click.option("--per-file-ignores", multiple=True, help="PATTERN:CODES pairs.")
@click.option("--fixable", multiple=True, help="Rules whose fixes may be applied.")
@click.option("--unfixable", multiple=True, help="Rules whose fixes are never applied.")
@click.option("--exclude", multiple=True, help="Replace the excluded path patterns.")
@click.option("--extend-exclude", multiple=True, help="Add excluded path patterns.")
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip files that .gitignore matches (default: on).",
)
@click.option(
    "--force-exclude/--no-force-exclude",
    default=None,
    help="Apply excludes also to paths named on the command line.",
)
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    default=None,
    help="How to print diagnostics (default: full).",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the report to this file instead of standard output.",
)
@click.option("--statistics", is_flag=True, help="Count diagnostics per rule.")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa` to every line with a diagnostic.")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False),
    default=None,
    help="Report only diagnostics not recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record the current diagnostics in this baseline file and exit 0.",
)
@click.option(
    "--prune-baseline", is_flag=True, help="With --baseline: drop entries that no longer match."
)
@click.option("--ignore-noqa", is_flag=True, help="Report diagnostics even where suppressed.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--cache-dir", default=None, help="Where to keep the cache (default: .mlint_cache).")
@click.option(
    "--config",
    "config",
    multiple=True,
    help=(
        "A pyproject.toml or mlint.toml to use for every file instead of the closest one, or "
        "a TOML `KEY = VALUE` pair that overrides one option of every config (repeatable)."
    ),
)
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option(
    "--stdin-filename",
    default=None,
    help="Lint standard input under this path (reads stdin even without `-`).",
)
@click.option("--show-settings", is_flag=True, help="Print the resolved settings and exit.")
@click.option("--show-files", is_flag=True, help="Print the files that would be linted and exit.")
@click.option("-j", "--jobs", type=int, default=0, help="Worker processes (default: all cores).")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    help="Colour the output (default: auto, off with NO_COLOR or when not a terminal).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print diagnostics only, no summary.")
@click.option("-s", "--silent", is_flag=True, help="Print nothing; only the exit code speaks.")
@click.option(
    "-w", "--watch", is_flag=True, help="Lint again whenever a source or config file changes."
)
def check(**flags: Any) -> None:
    """Lint PATHS (files or directories; `-` reads standard input)."""
    from mlint.check import run_check
    from mlint.types import CheckOptions

    sys.exit(run_check(CheckOptions(**flags)))


@main.command()
@click.argument("rule", required=False)
@click.option("--all", "show_all", is_flag=True, help="Every rule.")
@click.option(
    "--output-format",
    type=click.Choice(["markdown", "json", "text"]),
    default="markdown",
    help="How to print the explanation.",
)
def rule(rule: str | None, show_all: bool, output_format: str) -> None:
    """Explain RULE (a code or a name), or every rule with --all."""
    import json

    from mlint.docs import rule_json, rule_markdown
    from mlint.rules import all_rules

    registry = all_rules()
    if show_all:
        chosen = list(registry.values())
    elif rule:
        by_name = {r.name: r for r in registry.values()}
        found = registry.get(rule.upper()) or by_name.get(rule)
        if found is None:
            import difflib

            close = difflib.get_close_matches(rule, [*registry, *by_name], n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            _fail(f"unknown rule `{rule}`{hint}")
            return
        chosen = [found]
    else:
        _fail("give a rule code or name, or --all")
        return
    if output_format == "json":
        data = [rule_json(r) for r in chosen]
        click.echo(json.dumps(data if show_all else data[0], indent=2))
    else:
        click.echo("\n\n".join(rule_markdown(r) for r in chosen))


@main.command()
@click.option("--cache-dir", default=None, help="The cache directory to remove.")
def clean(cache_dir: str | None) -> None:
    """Remove the cache directory, and `.mlint_cache` folders below the current one.

    Only folders mlint created (tagged with its CACHEDIR.TAG) are ever removed.
    """
    from pathlib import Path

    from mlint.cache import clean as clean_cache
    from mlint.cache import find_caches
    from mlint.settings import ConfigError, Overrides, resolve_settings

    try:
        settings = resolve_settings(None, Overrides(cache_dir=cache_dir))
    except ConfigError as exc:
        _fail(str(exc))
        return
    configured = Path(settings.cache_dir)
    refused = False
    if configured.exists():
        refused = not clean_cache(configured)
        if not refused:
            click.echo(f"Removing cache at: {os.path.relpath(configured)}", err=True)
    for found in find_caches(Path.cwd()):
        if found.resolve() == configured.resolve():
            continue
        if clean_cache(found):
            click.echo(f"Removing cache at: {os.path.relpath(found)}", err=True)
        else:
            click.echo(
                f"mlint: warning: {os.path.relpath(found)}: not created by mlint (no mlint "
                "CACHEDIR.TAG); left in place",
                err=True,
            )
    if refused:
        _fail(
            f"{os.path.relpath(configured)}: not created by mlint (no mlint CACHEDIR.TAG); "
            "left in place"
        )


@main.command()
@click.option("--stdio", is_flag=True, help="Use stdin/stdout (the default; for LSP clients).")
def server(stdio: bool) -> None:
    """Run the language server on stdin/stdout (needs the `lsp` extra)."""
    try:
        from mlint.lsp import start
    except ImportError as exc:
        _fail(f"`mlint server` needs the `lsp` extra: pip install 'mlint[lsp]' ({exc})")
        return
    start()


if __name__ == "__main__":  # pragma: no cover
    main()

"""``mlint check``: from parsed flags to an exit code."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from mlint.types import Applicability, ConfigError, FileResult, Overrides, Settings

if TYPE_CHECKING:
    from mlint.baseline import Entry

EXIT_CLEAN, EXIT_DIAGNOSTICS, EXIT_ERROR = 0, 1, 2


def _split(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def _warn(message: str) -> None:
    click.echo(f"mlint: error: {message}", err=True)


def _overrides(flags: dict[str, Any]) -> Overrides:
    return Overrides(
        select=_split(flags["select"]) or None,
        extend_select=_split(flags["extend_select"]),
        ignore=_split(flags["ignore"]),
        per_file_ignores=list(flags["per_file_ignores"]),
        fixable=_split(flags["fixable"]) or None,
        unfixable=_split(flags["unfixable"]),
        exclude=_split(flags["exclude"]) or None,
        extend_exclude=_split(flags["extend_exclude"]),
        respect_gitignore=flags["respect_gitignore"],
        force_exclude=flags["force_exclude"],
        output_format=flags["output_format"],
        cache_dir=flags["cache_dir"],
        unsafe_fixes=flags["unsafe_fixes"],
        ignore_noqa=flags["ignore_noqa"],
    )


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


def run_check(flags: dict[str, Any]) -> int:
    try:
        return _run_check(flags)
    except ConfigError as exc:
        _warn(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001  (a CI gate needs exit 2 and one line, not a traceback)
        _warn(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0])
        return EXIT_ERROR


def _run_check(flags: dict[str, Any]) -> int:
    paths: list[str] = list(flags["paths"]) or ["."]
    config_file = Path(flags["config_file"]) if flags["config_file"] else None
    search_from = Path(paths[0]) if paths[0] != "-" and Path(paths[0]).exists() else None
    from mlint.cache import load_settings

    settings = load_settings(
        config_file,
        _overrides(flags),
        isolated=flags["isolated"],
        search_from=search_from,
        # `--no-cache` neither reads nor writes anything under the cache directory.
        use_cache=not flags["no_cache"],
    )
    if flags["show_settings"]:
        click.echo(settings.describe())
        return EXIT_CLEAN
    fix = flags["fix"] or flags["fix_only"]
    mode = "diff" if flags["diff"] else ("fix" if fix else "check")
    if flags["add_noqa"] and mode != "check":
        _warn("--add-noqa cannot be combined with --fix or --diff")
        return EXIT_ERROR
    baseline_problem = _baseline_usage(flags, mode, paths)
    if baseline_problem:
        _warn(baseline_problem)
        return EXIT_ERROR
    baseline = None
    if flags.get("baseline"):
        from mlint.baseline import BaselineError, load

        try:
            baseline = load(flags["baseline"])
        except BaselineError as exc:
            _warn(str(exc))
            return EXIT_ERROR

    if paths == ["-"]:
        return _check_stdin(flags, settings, mode)

    from mlint.files import DiscoveryWarning, discover

    files: list[str] = []
    bad_paths = 0
    for item in discover(
        paths,
        settings.project_root,
        settings.exclude,
        settings.extend_exclude,
        settings.respect_gitignore,
        settings.force_exclude,
    ):
        if isinstance(item, DiscoveryWarning):
            _warn(f"{item.path}: {item.message}")
            bad_paths += 1
        else:
            files.append(item)
    if not files and not bad_paths:
        # As ruff says it: an excluded or gitignored tree must not look like a clean one.
        click.echo("mlint: warning: No Python files found under the given path(s)", err=True)
    if flags["show_files"]:
        for path in sorted(files):
            click.echo(path)
        return EXIT_CLEAN

    from mlint.runner import RunOptions, run

    if mode == "fix":
        from mlint.files import remove_stale_temps

        remove_stale_temps(files)  # left by a run killed in the middle of a write
    options = RunOptions(
        lint=settings.lint,
        mode=mode,  # type: ignore[arg-type]
        cache_dir=None if flags["no_cache"] or mode != "check" else settings.cache_dir,
        jobs=flags["jobs"],
    )
    progress = _Progress(len(files)) if sys.stderr.isatty() and len(files) > 50 else None
    results = sorted(run(files, options, progress.step if progress else None), key=lambda r: r.path)
    if progress:
        progress.done()
    for result in results:
        if result.error:
            _warn(f"{result.path}: {result.error}")
    if flags.get("write_baseline"):
        return _write_baseline(results, flags["write_baseline"], settings)
    if baseline is not None:
        filtered = _apply_baseline(results, baseline, flags, settings)
        if filtered is None:
            return EXIT_ERROR
        results = filtered
    if flags["add_noqa"]:
        return _add_noqa(results)
    return _report(results, flags, settings, mode, bad_paths)


def _baseline_usage(flags: dict[str, Any], mode: str, paths: Sequence[str]) -> str | None:
    """Why the baseline flags cannot be used as given, or None."""
    baseline, write = flags.get("baseline"), flags.get("write_baseline")
    if flags.get("prune_baseline") and not baseline:
        return "--prune-baseline needs --baseline FILE"
    if (baseline or write) and paths == ["-"]:
        return "--baseline and --write-baseline need file paths, not `-`"
    if write and baseline:
        return (
            "--write-baseline cannot be combined with --baseline (write the baseline again instead)"
        )
    if write and mode != "check":
        return "--write-baseline cannot be combined with --fix or --diff"
    return None


def _write_baseline(results: Sequence[FileResult], target: str, settings: Settings) -> int:
    from mlint.baseline import BaselineError, collect, save

    entries = collect(results, settings.project_root)
    try:
        save(target, entries)
    except BaselineError as exc:
        _warn(str(exc))
        return EXIT_ERROR
    click.echo(f"mlint: wrote {_entries(len(entries))} to {target}.", err=True)
    return EXIT_CLEAN


def _entries(count: int) -> str:
    return f"{count} baseline entr{'y' if count == 1 else 'ies'}"


def _apply_baseline(
    results: list[FileResult], entries: list[Entry], flags: dict[str, Any], settings: Settings
) -> list[FileResult] | None:
    """Keep the diagnostics the baseline does not know; report stale entries on stderr."""
    from mlint.baseline import BaselineError, apply, save

    target = flags["baseline"]
    outcome = apply(
        results,
        entries,
        settings.project_root,
        settings.lint.codes_for,
        keep_unchanged=settings.output_format == "sarif",
    )
    stale = outcome.stale
    if stale and flags["prune_baseline"]:
        gone = set(stale)
        try:
            save(target, [e for e in entries if e not in gone])
        except BaselineError as exc:
            _warn(str(exc))
            return None
        click.echo(f"mlint: removed {_entries(len(stale))} from {target}.", err=True)
    elif stale and not flags["silent"]:
        shown = 20
        header = f"mlint: {_entries(len(stale))} in {target} no longer match (fixed or changed);"
        lines = [f"{header} `--prune-baseline` removes them:"]
        lines.extend(f"  {e.location}: {e.code} {e.message}" for e in stale[:shown])
        if len(stale) > shown:
            lines.append(f"  ... and {len(stale) - shown} more")
        click.echo("\n".join(lines), err=True)
    return outcome.results


def _check_stdin(flags: dict[str, Any], settings: Settings, mode: str) -> int:
    from mlint.files import SourceError, decode
    from mlint.runner import _lint_text

    path = flags["stdin_filename"] or "-"
    try:
        text = decode(sys.stdin.buffer.read(), path).text
    except SourceError as exc:
        _warn(f"{path}: {exc}")
        return EXIT_ERROR
    result = _lint_text(text, path, settings.lint, "check" if mode == "check" else "diff")
    if mode == "fix":
        # ruff's convention: with `-`, the fixed source goes to standard output.
        sys.stdout.write(result.fixed_source if result.fixed_source is not None else text)
        remaining = 0 if flags["fix_only"] else len(result.diagnostics)
        if flags["exit_zero"]:
            return EXIT_CLEAN
        if flags["exit_non_zero_on_fix"] and result.fixes_applied:
            return EXIT_DIAGNOSTICS
        return EXIT_DIAGNOSTICS if remaining else EXIT_CLEAN
    return _report([result], flags, settings, mode, 0)


class _Progress:
    """A one-line progress counter on an interactive stderr."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0

    def step(self, n: int) -> None:
        self.count += n
        if self.count % 10 == 0 or self.count == self.total:
            sys.stderr.write(f"\rmlint: {self.count}/{self.total} files")
            sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def _hidden_unsafe(results: Sequence[FileResult], unsafe: bool) -> int:
    if unsafe:
        return 0
    return sum(
        1
        for r in results
        for d in r.diagnostics
        if d.fix is not None and d.fix.applicability is Applicability.UNSAFE
    )


def _fixable(results: Sequence[FileResult], unsafe: bool) -> int:
    from mlint.report import ReportContext
    from mlint.report.common import fix_marker

    context = ReportContext(unsafe_fixes=unsafe)
    return sum(1 for r in results for d in r.diagnostics if fix_marker(d, context))


def _report(
    results: Sequence[FileResult],
    flags: dict[str, Any],
    settings: Settings,
    mode: str,
    bad_paths: int,
) -> int:
    out_file = flags["output_file"]
    if not out_file:
        return _write_report(results, flags, settings, mode, bad_paths, sys.stdout)
    try:
        with open(out_file, "w", encoding="utf-8") as handle:
            return _write_report(results, flags, settings, mode, bad_paths, handle)
    except OSError as exc:
        _warn(f"{out_file}: cannot write report: {exc.strerror or exc}")
        return EXIT_ERROR


def _write_report(
    results: Sequence[FileResult],
    flags: dict[str, Any],
    settings: Settings,
    mode: str,
    bad_paths: int,
    stream: TextIO,
) -> int:
    from mlint.report import ReportContext, render

    fmt = settings.output_format
    unsafe = settings.unsafe_fixes
    errors = sum(1 for r in results if r.error) + bad_paths
    fixed = sum(r.fixes_applied for r in results)
    # With --baseline and SARIF, baselined results are shown ("unchanged") but never count.
    remaining = sum(
        1 for r in results for d in r.diagnostics if d.extra.get("baseline_state") != "unchanged"
    )
    text_format = fmt in ("full", "concise")
    quiet = flags["quiet"] or flags["silent"]

    if mode == "diff":
        import difflib

        chunks: list[str] = []
        for r in results:
            if r.fixed_source is not None and r.source is not None and r.path.endswith(".ipynb"):
                from mlint.notebook import diff as notebook_diff

                chunks.append(notebook_diff(r.source, r.fixed_source, r.path))
            elif r.fixed_source is not None and r.source is not None:
                chunks.extend(
                    difflib.unified_diff(
                        r.source.splitlines(keepends=True),
                        r.fixed_source.splitlines(keepends=True),
                        fromfile=r.path,
                        tofile=r.path,
                    )
                )
        if not flags["silent"]:
            stream.write("".join(chunks))
            if fixed:
                click.echo(f"\nWould fix {fixed} error{'s' if fixed != 1 else ''}.", err=True)
        if flags["exit_zero"]:
            return EXIT_CLEAN
        return EXIT_DIAGNOSTICS if fixed or errors else EXIT_CLEAN

    shown = [] if flags["fix_only"] else list(results)
    context = ReportContext(
        color=_use_color(flags["color"], stream) and text_format,
        show_fixes=flags["show_fixes"],
        unsafe_fixes=unsafe,
        project_root=settings.project_root,
    )
    if not flags["silent"]:
        if flags["statistics"]:
            stream.write(_statistics(shown, context, fmt))
        else:
            stream.write(render(fmt, shown, context))
        if text_format and not quiet:
            stream.write(_summary(results, fixed, remaining, mode, flags, unsafe))
        if flags["show_fixes"] and mode == "fix" and fixed and not quiet:
            stream.write(_fix_listing(results))

    if flags["exit_zero"]:
        return EXIT_CLEAN
    if flags["exit_non_zero_on_fix"] and fixed:
        return EXIT_DIAGNOSTICS
    if flags["fix_only"]:
        return EXIT_DIAGNOSTICS if errors else EXIT_CLEAN
    return EXIT_DIAGNOSTICS if remaining or errors else EXIT_CLEAN


def _statistics(results: Sequence[FileResult], context: Any, fmt: str) -> str:
    from mlint.report.common import fix_marker

    counts: Counter[tuple[str, str]] = Counter()
    fixable: Counter[str] = Counter()
    for r in results:
        for d in r.diagnostics:
            counts[(d.code, d.name)] += 1
            if fix_marker(d, context):
                fixable[d.code] += 1
    if fmt == "json":
        import json

        data = [
            {"code": code, "name": name, "count": n, "fixable": fixable[code] == n}
            for (code, name), n in counts.most_common()
        ]
        return json.dumps(data, indent=2) + "\n"
    width = max((len(str(n)) for n in counts.values()), default=1)
    return "".join(
        f"{n:>{width}}\t{code}\t{'[*] ' if fixable[code] == n else ''}{name}\n"
        for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _summary(
    results: Sequence[FileResult],
    fixed: int,
    remaining: int,
    mode: str,
    flags: dict[str, Any],
    unsafe: bool,
) -> str:
    lines = []
    total = fixed + remaining
    if flags["fix_only"]:
        if fixed:
            lines.append(f"Fixed {fixed} error{'s' if fixed != 1 else ''}.")
        return "\n".join(lines) + ("\n" if lines else "")
    if total == 0:
        return "All checks passed!\n"
    noun = "error" if total == 1 else "errors"
    if fixed:
        lines.append(f"Found {total} {noun} ({fixed} fixed, {remaining} remaining).")
    else:
        lines.append(f"Found {total} {noun}.")
    fixable = _fixable(results, unsafe)
    hidden = _hidden_unsafe(results, unsafe)
    if fixable:
        option = "`--fix`" if not unsafe else "`--fix --unsafe-fixes`"
        lines.append(f"[*] {fixable} fixable with the {option} option.")
    if hidden:
        prefix = "" if fixable else "No fixes available "
        lines.append(
            f"{prefix}({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the "
            "`--unsafe-fixes` option)."
        )
    return "\n".join(lines) + "\n"


def _fix_listing(results: Sequence[FileResult]) -> str:
    from mlint.report.common import display_path

    lines = ["", "Fixed errors:"]
    for r in results:
        if r.applied_codes:
            lines.append(f"- {display_path(r.path)}:")
            for code, n in sorted(Counter(r.applied_codes).items()):
                lines.append(f"    {n} × {code}")
    return "\n".join(lines) + "\n"


def _add_noqa(results: Sequence[FileResult]) -> int:
    from mlint.files import read_source, write_atomic
    from mlint.noqa import add_noqa

    added = 0
    for r in results:
        if not r.diagnostics or r.error or r.path.endswith(".ipynb"):
            continue
        source = read_source(r.path)
        new_text, count = add_noqa(source.text, r.diagnostics)
        if count:
            write_atomic(r.path, new_text, source.encoding)
            added += count
    click.echo(f"Added {added} noqa directive{'s' if added != 1 else ''}.", err=True)
    return EXIT_CLEAN

"""``mlint check``: from the parsed flags (``CheckOptions``) to an exit code."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from mlint.types import (
    Applicability,
    CheckOptions,
    ConfigError,
    FileResult,
    Mode,
    Overrides,
    Settings,
)

if TYPE_CHECKING:
    from mlint.baseline import Entry
    from mlint.config_tree import SettingsTree
    from mlint.report import ReportContext

EXIT_CLEAN, EXIT_DIAGNOSTICS, EXIT_ERROR = 0, 1, 2


def _split(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def _warn(message: str) -> None:
    click.echo(f"mlint: error: {message}", err=True)


def _overrides(options: CheckOptions, config_overrides: tuple[str, ...] = ()) -> Overrides:
    return Overrides(
        select=_split(options.select) or None,
        extend_select=_split(options.extend_select),
        ignore=_split(options.ignore),
        per_file_ignores=list(options.per_file_ignores),
        fixable=_split(options.fixable) or None,
        unfixable=_split(options.unfixable),
        exclude=_split(options.exclude) or None,
        extend_exclude=_split(options.extend_exclude),
        respect_gitignore=options.respect_gitignore,
        force_exclude=options.force_exclude,
        output_format=options.output_format,
        cache_dir=options.cache_dir,
        unsafe_fixes=options.unsafe_fixes,
        ignore_noqa=options.ignore_noqa,
        config_overrides=config_overrides,
    )


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


def run_check(options: CheckOptions) -> int:
    if options.watch:
        return _watch(options)
    try:
        return _run_check(options)
    except ConfigError as exc:
        _warn(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001  (a CI gate needs exit 2 and one line, not a traceback)
        _warn(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0])
        return EXIT_ERROR


def _watch(options: CheckOptions) -> int:
    """Lint, then lint again on every change of a watched file, until interrupted."""
    import dataclasses

    from mlint.watch import run_watch

    if options.reads_stdin or options.fix or options.diff or options.add_noqa:
        _warn("--watch lints files: it cannot be combined with stdin, --fix, --diff or --add-noqa")
        return EXIT_ERROR
    once = dataclasses.replace(options, watch=False)

    def lint() -> None:
        run_check(once)
        sys.stdout.write("Watching for file changes.\n")
        sys.stdout.flush()

    try:
        run_watch(options.paths or (".",), lint, sys.stdout.write)
    except KeyboardInterrupt:
        pass
    return EXIT_CLEAN


def _config_arguments(options: CheckOptions) -> tuple[Path | None, tuple[str, ...]]:
    """``--config`` values: at most one file, and the ``KEY = VALUE`` overrides in order."""
    files = [value for value in options.config if not _is_override(value)]
    if len(files) > 1:
        raise ConfigError(
            f"--config: more than one configuration file given ({', '.join(files)}); "
            "pass one, and put single options as `--config 'KEY = VALUE'`"
        )
    return (Path(files[0]) if files else None), tuple(
        value for value in options.config if _is_override(value)
    )


def _is_override(value: str) -> bool:
    """Whether a ``--config`` value is a ``KEY = VALUE`` pair rather than a file path."""
    return "=" in value and not Path(value).is_file()


def _run_check(options: CheckOptions) -> int:
    paths: list[str] = list(options.paths) or ["."]
    config_file, config_overrides = _config_arguments(options)
    overrides = _overrides(options, config_overrides)
    if options.reads_stdin and options.stdin_filename:
        # The configuration of the file the editor is showing, as ruff finds it.
        search_from = Path(options.stdin_filename).absolute().parent
    else:
        search_from = Path.cwd()
    from mlint.cache import load_settings
    from mlint.config_tree import SettingsTree

    use_cache = not options.no_cache  # `--no-cache` neither reads nor writes the cache
    settings = load_settings(
        config_file, overrides, options.isolated, search_from, use_cache=use_cache
    )
    fixed = options.isolated or config_file is not None or options.reads_stdin
    tree = SettingsTree(
        settings,
        None if fixed else (lambda path: load_settings(path, overrides, use_cache=use_cache)),
    )
    if options.show_settings:
        # As ruff shows them: the settings that govern the first path given.
        shown = tree.for_file(paths[0]) if paths[0] != "-" and Path(paths[0]).is_file() else None
        if shown is None and paths[0] != "-" and Path(paths[0]).is_dir():
            shown = tree.for_directory(Path(paths[0]).absolute())
        click.echo((shown or settings).describe())
        return EXIT_CLEAN
    mode = options.mode
    if options.add_noqa and mode != "check":
        _warn("--add-noqa cannot be combined with --fix or --diff")
        return EXIT_ERROR
    baseline_problem = _baseline_usage(options, mode, paths)
    if baseline_problem:
        _warn(baseline_problem)
        return EXIT_ERROR
    baseline = None
    if options.baseline:
        from mlint.baseline import BaselineError, load

        try:
            baseline = load(options.baseline)
        except BaselineError as exc:
            _warn(str(exc))
            return EXIT_ERROR

    if options.reads_stdin:
        return _check_stdin(options, settings, mode)

    from mlint.files import DiscoveryWarning, discover

    files: list[str] = []
    bad_paths = 0
    for item in discover(paths, tree.scope_for):
        if isinstance(item, DiscoveryWarning):
            _warn(f"{item.path}: {item.message}")
            bad_paths += 1
        else:
            files.append(item)
    if not files and not bad_paths:
        # As ruff says it: an excluded or gitignored tree must not look like a clean one.
        click.echo("mlint: warning: No Python files found under the given path(s)", err=True)
    if options.show_files:
        for path in sorted(files):
            click.echo(path)
        return EXIT_CLEAN

    from mlint.runner import RunOptions, run

    if mode == "fix":
        from mlint.files import remove_stale_temps

        remove_stale_temps(files)  # left by a run killed in the middle of a write
    run_options = RunOptions(
        lint=settings.lint,
        lint_for=tree.lint_for,
        mode=mode,
        cache_dir=None if options.no_cache or mode != "check" else settings.cache_dir,
        jobs=options.jobs,
    )
    progress = _Progress(len(files)) if sys.stderr.isatty() and len(files) > 50 else None
    results = sorted(
        run(files, run_options, progress.step if progress else None), key=lambda r: r.path
    )
    if progress:
        progress.done()
    for result in results:
        if result.error:
            _warn(f"{result.path}: {result.error}")
    if options.write_baseline:
        return _write_baseline(results, options.write_baseline, settings)
    if baseline is not None and options.baseline:
        filtered = _apply_baseline(results, baseline, options.baseline, options, settings, tree)
        if filtered is None:
            return EXIT_ERROR
        results = filtered
    if options.add_noqa:
        return _add_noqa(results)
    return _report(results, options, settings, mode, bad_paths)


def _baseline_usage(options: CheckOptions, mode: Mode, paths: Sequence[str]) -> str | None:
    """Why the baseline flags cannot be used as given, or None."""
    baseline, write = options.baseline, options.write_baseline
    if options.prune_baseline and not baseline:
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
    results: list[FileResult],
    entries: list[Entry],
    target: str,
    options: CheckOptions,
    settings: Settings,
    tree: SettingsTree,
) -> list[FileResult] | None:
    """Keep the diagnostics the baseline does not know; report stale entries on stderr."""
    from mlint.baseline import BaselineError, apply, save

    outcome = apply(
        results,
        entries,
        settings.project_root,
        lambda path: tree.lint_for(path).codes_for(path),
        keep_unchanged=settings.output_format == "sarif",
    )
    stale = outcome.stale
    if stale and options.prune_baseline:
        gone = set(stale)
        try:
            save(target, [e for e in entries if e not in gone])
        except BaselineError as exc:
            _warn(str(exc))
            return None
        click.echo(f"mlint: removed {_entries(len(stale))} from {target}.", err=True)
    elif stale and not options.silent:
        shown = 20
        header = f"mlint: {_entries(len(stale))} in {target} no longer match (fixed or changed);"
        lines = [f"{header} `--prune-baseline` removes them:"]
        lines.extend(f"  {e.location}: {e.code} {e.message}" for e in stale[:shown])
        if len(stale) > shown:
            lines.append(f"  ... and {len(stale) - shown} more")
        click.echo("\n".join(lines), err=True)
    return outcome.results


def _check_stdin(options: CheckOptions, settings: Settings, mode: Mode) -> int:
    from mlint.files import SourceError, decode
    from mlint.runner import _lint_text

    path = options.stdin_filename or "-"
    try:
        text = decode(sys.stdin.buffer.read(), path).text
    except SourceError as exc:
        _warn(f"{path}: {exc}")
        return EXIT_ERROR
    if options.stdin_filename and settings.force_exclude:
        from mlint.files import force_excluded

        if force_excluded(
            options.stdin_filename,
            settings.project_root,
            settings.exclude,
            settings.extend_exclude,
            settings.respect_gitignore,
        ):
            # Excluded: nothing to report; with --fix the input comes back unchanged.
            if mode == "fix":
                sys.stdout.write(text)
            return EXIT_CLEAN
    result = _lint_text(text, path, settings.lint, "check" if mode == "check" else "diff")
    if result.error:
        _warn(f"{path}: {result.error}")
    if mode == "fix":
        # ruff's convention: with `-`, the fixed source goes to standard output.
        sys.stdout.write(result.fixed_source if result.fixed_source is not None else text)
        remaining = 0 if options.fix_only else len(result.diagnostics)
        if result.error:
            return EXIT_ERROR
        if options.exit_zero:
            return EXIT_CLEAN
        if options.exit_non_zero_on_fix and result.fixes_applied:
            return EXIT_DIAGNOSTICS
        return EXIT_DIAGNOSTICS if remaining else EXIT_CLEAN
    return _report([result], options, settings, mode, 0)


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
    options: CheckOptions,
    settings: Settings,
    mode: Mode,
    bad_paths: int,
) -> int:
    out_file = options.output_file
    if not out_file:
        return _write_report(results, options, settings, mode, bad_paths, sys.stdout)
    try:
        with open(out_file, "w", encoding="utf-8") as handle:
            return _write_report(results, options, settings, mode, bad_paths, handle)
    except OSError as exc:
        _warn(f"{out_file}: cannot write report: {exc.strerror or exc}")
        return EXIT_ERROR


def _write_report(
    results: Sequence[FileResult],
    options: CheckOptions,
    settings: Settings,
    mode: Mode,
    bad_paths: int,
    stream: TextIO,
) -> int:
    from mlint.report import ReportContext, render

    fmt = settings.output_format
    unsafe = settings.unsafe_fixes
    unchecked = sum(1 for r in results if r.error)
    errors = unchecked + bad_paths
    fixed = sum(r.fixes_applied for r in results)
    # With --baseline and SARIF, baselined results are shown ("unchanged") but never count.
    remaining = sum(
        1 for r in results for d in r.diagnostics if d.extra.get("baseline_state") != "unchanged"
    )
    text_format = fmt in ("full", "concise", "grouped")
    quiet = options.quiet or options.silent

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
        if not options.silent:
            stream.write("".join(chunks))
            if fixed:
                click.echo(f"\nWould fix {fixed} error{'s' if fixed != 1 else ''}.", err=True)
            if unchecked:
                click.echo(_not_checked(unchecked), err=True)
        if unchecked:  # a file that was not checked is never a pass, even with --exit-zero
            return EXIT_ERROR
        if options.exit_zero:
            return EXIT_CLEAN
        return EXIT_DIAGNOSTICS if fixed or errors else EXIT_CLEAN

    shown = [] if options.fix_only else list(results)
    context = ReportContext(
        color=_use_color(options.color, stream) and text_format,
        show_fixes=options.show_fixes,
        unsafe_fixes=unsafe,
        project_root=settings.project_root,
    )
    if not options.silent:
        if options.statistics:
            stream.write(_statistics(shown, context, fmt))
        else:
            stream.write(render(fmt, shown, context))
        if text_format and not quiet:
            stream.write(_summary(results, fixed, remaining, mode, options, unsafe))
        if options.show_fixes and mode == "fix" and fixed and not quiet:
            stream.write(_fix_listing(results))

    if unchecked:  # a file that was not checked is never a pass, even with --exit-zero
        return EXIT_ERROR
    if options.exit_zero:
        return EXIT_CLEAN
    if options.exit_non_zero_on_fix and fixed:
        return EXIT_DIAGNOSTICS
    if options.fix_only:
        return EXIT_DIAGNOSTICS if errors else EXIT_CLEAN
    return EXIT_DIAGNOSTICS if remaining or errors else EXIT_CLEAN


def _statistics(results: Sequence[FileResult], context: ReportContext, fmt: str) -> str:
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
            {"code": code, "name": name, "count": n, "fixable_count": fixable[code]}
            for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        return json.dumps(data, indent=2) + "\n"
    width = max((len(str(n)) for n in counts.values()), default=1)
    return "".join(
        f"{n:>{width}}\t{code}\t{_fixability(fixable[code], n)} {name}\n"
        for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _fixability(fixable: int, count: int) -> str:
    """ruff's statistics marker: ``[*]`` all fixable, ``[~]`` some, ``[ ]`` none."""
    if fixable == count:
        return "[*]"
    return "[~]" if fixable else "[ ]"


def _summary(
    results: Sequence[FileResult],
    fixed: int,
    remaining: int,
    mode: Mode,
    options: CheckOptions,
    unsafe: bool,
) -> str:
    lines = []
    total = fixed + remaining
    unchecked = sum(1 for r in results if r.error)
    if options.fix_only:
        if fixed:
            lines.append(f"Fixed {fixed} error{'s' if fixed != 1 else ''}.")
        if unchecked:
            lines.append(_not_checked(unchecked))
        return "\n".join(lines) + ("\n" if lines else "")
    if total == 0:
        return _not_checked(unchecked) + "\n" if unchecked else "All checks passed!\n"
    noun = "error" if total == 1 else "errors"
    if fixed:
        lines.append(f"Found {total} {noun} ({fixed} fixed, {remaining} remaining).")
    else:
        lines.append(f"Found {total} {noun}.")
    fixable = _fixable(results, unsafe)
    hidden = _hidden_unsafe(results, unsafe)
    # ruff 0.17's wording, word for word.
    available = (
        f"{hidden} unsafe fix{'es' if hidden != 1 else ''} available with `--fix --unsafe-fixes`"
    )
    if fixable:
        lines.append(
            f"[*] {fixable} fixable with `--fix`" + (f" ({available})." if hidden else ".")
        )
    elif hidden:
        lines.append(f"{available}.")
    if unchecked:
        lines.append(_not_checked(unchecked))
    return "\n".join(lines) + "\n"


def _not_checked(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''} could not be checked."


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

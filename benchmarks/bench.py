"""mlint's performance benchmark: one command, from a fresh clone.

    python benchmarks/bench.py [--large] [--runs N] [--quick] [--install-fixit]

Builds the corpus from pinned PyPI wheels (``pip download --no-deps``, only ``*.py`` unpacked into
``benchmarks/.corpus/``, re-used when present), then times, each as a whole process and in turn:
the interpreter floor, ``ast.parse`` and ``libcst.parse_module`` of every file (1 and N processes),
``mlint check`` cold / warm / on one ~200-line file, and Fixit and ruff when installed. Prints a
Markdown table of medians with the targets of issue 4 and writes it to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS_DIR = HERE / ".corpus"
FIXIT_VENV = HERE / ".work" / "fixit-venv"
FIXIT_VERSION = "2.2.1"

BASE_PACKAGES: tuple[tuple[str, str], ...] = (("timm", "1.0.31"), ("peft", "0.21.2"))
LARGE_PACKAGES: tuple[tuple[str, str], ...] = BASE_PACKAGES + (
    ("transformers", "5.24.0"),
    ("diffusers", "0.42.1"),
    ("lightning", "2.6.6"),
)

# Issue 4's targets; the benchmark prints them, tests never time anything.
COLD_OVER_FLOOR_MAX = 1.5
FIXIT_OVER_COLD_MIN = 12.0
WARM_MAX_S = 0.5
SINGLE_COLD_MAX_S = 0.35
SINGLE_HIT_MAX_S = 0.15
RSS_MAX_MB = 250.0
SINGLE_FILE_LINES = 200
QUICK_EVERY = 8  # --quick keeps every 8th file of the corpus
COMMAND_TIMEOUT_S = 3600.0
# mlint skips even a directory named on the command line when a .gitignore of the working
# directory's ancestors lists it (ruff does not), and mlint's own .gitignore lists benchmarks/.corpus/.
MLINT_FLAGS = ("--isolated", "--no-respect-gitignore", "--select", "ALL")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Corpus:
    label: str
    roots: tuple[Path, ...]
    files: tuple[Path, ...]
    lines: int


def _wheel_stem(name: str) -> str:
    return name.replace("-", "_").lower()


def ensure_wheel(name: str, version: str) -> Path:
    """The pinned wheel, downloaded with pip unless already in ``.corpus/wheels``."""
    wheels = CORPUS_DIR / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pattern = f"{_wheel_stem(name)}-{version}-*.whl"
    found = sorted(wheels.glob(pattern))
    if not found:
        log(f"downloading {name}=={version}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
                str(wheels),
                f"{name}=={version}",
            ],
            check=True,
        )
        found = sorted(wheels.glob(pattern))
    if not found:
        raise SystemExit(f"bench: pip did not produce a wheel for {name}=={version}")
    return found[0]


PROJECT_MARKER = (
    "# Marks this benchmark corpus as a project of its own (see benchmarks/bench.py).\n"
)


def mark_project_root(directory: Path) -> None:
    """Make ``directory`` a project root, as a user's checkout is.

    Fixit (trailrunner) applies the ``.gitignore`` of the closest directory holding a
    ``pyproject.toml``; without one here that is mlint's own, which ignores ``benchmarks/.corpus/``,
    and Fixit would lint nothing. The linters run ``--isolated`` or find no section of theirs.
    """
    marker = directory / "pyproject.toml"
    if not marker.exists():
        marker.write_text(PROJECT_MARKER, encoding="utf-8")


def ensure_sources(name: str, version: str) -> Path:
    """The wheel's ``*.py`` files unpacked into ``.corpus/src/NAME-VERSION`` (once)."""
    dest = CORPUS_DIR / "src" / f"{name}-{version}"
    if (dest / ".complete").exists():
        mark_project_root(dest)
        return dest
    wheel = ensure_wheel(name, version)
    shutil.rmtree(dest, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            parts = Path(member).parts
            if not member.endswith(".py") or ".." in parts or Path(member).is_absolute():
                continue
            if any(part.endswith((".dist-info", ".data")) for part in parts):
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
    mark_project_root(dest)
    (dest / ".complete").write_text(wheel.name + "\n", encoding="utf-8")
    return dest


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n")


def python_files(roots: Sequence[Path]) -> tuple[Path, ...]:
    return tuple(sorted(p for root in roots for p in root.rglob("*.py") if p.is_file()))


def build_corpus(packages: Sequence[tuple[str, str]]) -> Corpus:
    roots = tuple(ensure_sources(name, version) for name, version in packages)
    files = python_files(roots)
    label = " + ".join(f"{name} {version}" for name, version in packages)
    return Corpus(label, roots, files, sum(count_lines(f) for f in files))


def copy_subset(files: Sequence[Path], base: Path | None, dest: Path, label: str) -> Corpus:
    """Copy ``files`` under ``dest`` (keeping paths relative to ``base``) as a corpus of its own."""
    shutil.rmtree(dest, ignore_errors=True)
    for index, source in enumerate(files):
        relative = source.relative_to(base) if base is not None else Path(f"f{index}") / source.name
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    dest.mkdir(parents=True, exist_ok=True)
    mark_project_root(dest)
    copied = python_files([dest])
    return Corpus(label, (dest,), copied, sum(count_lines(f) for f in copied))


def pick_single_file(files: Sequence[Path]) -> Path:
    """The corpus file closest to 200 lines (ties: the first by path), for the pre-commit case."""
    return min(files, key=lambda p: (abs(count_lines(p) - SINGLE_FILE_LINES), str(p)))


# ----------------------------------------------------------------------------- timing


@dataclass
class Measurement:
    key: str
    what: str
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    lines: int = 0
    error: str | None = None
    note: str = ""
    stderr: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def rss_mb(self) -> float | None:
        return max(self.rss_kb) / 1024 if self.rss_kb else None


def child_env() -> dict[str, str]:
    """The environment for timed commands: bytecode may be written, as in any real install.

    With ``PYTHONDONTWRITEBYTECODE`` set, an editable install recompiles every mlint module in
    every process, which a user's ``pip install mlint`` never does.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(
    argv: Sequence[str], stdout: Path | None = None, ok_codes: frozenset[int] = frozenset({0})
) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and the stderr of ``argv`` run as a whole process.

    ``os.wait4`` reports the child's ``ru_maxrss`` including the descendants it reaped itself,
    so for mlint this is the maximum over its main process and its pool workers.
    """
    out = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL  # noqa: SIM115
    with tempfile.TemporaryFile() as err:
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=child_env(),
            )
            timer = threading.Timer(COMMAND_TIMEOUT_S, _kill_group, (proc.pid,))
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            elapsed = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if stdout is not None and not isinstance(out, int):
                out.close()
        err.seek(0)
        errors = err.read().decode("utf-8", "replace").strip()
        if proc.returncode not in ok_codes:
            raise RuntimeError(f"exit {proc.returncode}: " + " | ".join(errors.splitlines()[-3:]))
    return elapsed, int(usage.ru_maxrss), errors


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, 9)
    except OSError:
        pass


def measure(
    m: Measurement,
    argv: Sequence[str],
    runs: int,
    stdout: Path | None = None,
    ok_codes: frozenset[int] = frozenset({0}),
) -> Measurement:
    log(f"{m.what}: {runs} run(s)")
    for _ in range(runs):
        try:
            elapsed, rss, m.stderr = run_once(argv, stdout, ok_codes)
        except RuntimeError as exc:
            m.error = str(exc)
            log(f"  failed: {exc}")
            break
        m.times.append(elapsed)
        m.rss_kb.append(rss)
        log(f"  {elapsed:.3f} s, {rss / 1024:.0f} MB")
    return m


# ----------------------------------------------------------------------------- tools


def fixit_command() -> list[str] | None:
    """How to start Fixit: on PATH, importable here, or in the isolated venv of --install-fixit."""
    venv_fixit = FIXIT_VENV / "bin" / "fixit"
    if venv_fixit.exists():
        return [str(venv_fixit)]
    import importlib.util

    if importlib.util.find_spec("fixit") is not None:
        return [sys.executable, "-m", "fixit"]
    on_path = shutil.which("fixit")
    return [on_path] if on_path else None


def install_fixit() -> None:
    """Fixit in its own venv: it pins ``click<8.2``, which must not downgrade mlint's click."""
    if (FIXIT_VENV / "bin" / "fixit").exists():
        return
    log(f"installing fixit=={FIXIT_VERSION} into {FIXIT_VENV}")
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(FIXIT_VENV)], check=True
    )
    subprocess.run(
        [
            str(FIXIT_VENV / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            f"fixit=={FIXIT_VERSION}",
        ],
        check=True,
    )


def tool_version(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def _count_output_lines(path: Path) -> int:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return 0


def mlint_file_count(paths: Sequence[Path]) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "mlint", "check", *MLINT_FLAGS, "--show-files", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return sum(1 for line in done.stdout.splitlines() if line.strip())


def ruff_file_count(ruff: str, paths: Sequence[Path]) -> int:
    done = subprocess.run(
        [ruff, "check", "--isolated", "--show-files", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    # ruff also lists the pyproject.toml marker, which it lints too (a few microseconds).
    return sum(1 for line in done.stdout.splitlines() if line.strip().endswith(".py"))


# ----------------------------------------------------------------------------- the run


@dataclass
class Run:
    corpus: Corpus
    jobs: int
    runs: int
    single: Path
    results: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def get(self, key: str) -> Measurement | None:
        return next((m for m in self.results if m.key == key), None)


def run_benchmark(
    corpus: Corpus,
    work: Path,
    runs: int,
    fixit_runs: int,
    with_fixit: bool,
    with_ruff: bool,
    rss_reference: Corpus | None,
) -> Run:
    jobs = os.cpu_count() or 1
    work.mkdir(parents=True, exist_ok=True)
    single = pick_single_file(corpus.files)
    bench = Run(corpus, jobs, runs, single)
    add = bench.results.append
    py = sys.executable
    paths = [str(p) for p in corpus.roots]
    lines = corpus.lines

    list_file = work / "files.txt"
    list_file.write_text("".join(f"{p}\n" for p in corpus.files), encoding="utf-8")
    # Warm the page cache so the first timed row does not pay for the disk.
    for path in corpus.files:
        path.read_bytes()

    found = mlint_file_count(corpus.roots)
    if found != len(corpus.files):
        bench.notes.append(f"mlint discovers {found} files, the corpus has {len(corpus.files)}.")

    # Untimed: writes the bytecode of mlint's modules, as installing it would have.
    try:
        run_once(
            [
                py,
                "-m",
                "mlint",
                "check",
                *MLINT_FLAGS,
                "--no-cache",
                "--exit-zero",
                "-q",
                str(single),
            ]
        )
    except RuntimeError as exc:
        bench.notes.append(f"mlint warm-up failed: {exc}")

    worker = str(HERE / "bench_parse.py")
    add(
        measure(
            Measurement("floor", "`python -c pass` (interpreter floor)"), [py, "-c", "pass"], runs
        )
    )
    add(
        measure(
            Measurement("startup", "`mlint --version` (CLI start-up)"),
            [py, "-m", "mlint", "--version"],
            runs,
        )
    )
    add(
        measure(
            Measurement("ast", "`ast.parse` every file, 1 process", lines=lines),
            [py, worker, "ast", str(list_file), "1"],
            runs,
        )
    )
    add(
        measure(
            Measurement("parse1", "`libcst.parse_module` every file, 1 process", lines=lines),
            [py, worker, "libcst", str(list_file), "1"],
            runs,
        )
    )
    add(
        measure(
            Measurement(
                "parseN",
                f"`libcst.parse_module` every file, {jobs} processes (**parse floor**)",
                lines=lines,
            ),
            [py, worker, "libcst", str(list_file), str(jobs)],
            runs,
        )
    )

    check = [
        py,
        "-m",
        "mlint",
        "check",
        *MLINT_FLAGS,
        "--exit-zero",
        "--output-format",
        "concise",
        "-q",
    ]
    cold_out = work / "mlint-cold.txt"
    cold = measure(
        Measurement("cold", f"`mlint check` cold (`--no-cache`), {jobs} processes", lines=lines),
        [*check, "--no-cache", *paths],
        runs,
        stdout=cold_out,
    )
    cold.note = f"{_count_output_lines(cold_out)} diagnostics"
    add(cold)

    cache_dir = work / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    warm_cmd = [*check, "--cache-dir", str(cache_dir), *paths]
    warm = Measurement("warm", "`mlint check` warm (unchanged corpus, cache filled)", lines=lines)
    warm_out = work / "mlint-warm.txt"
    try:
        log("filling the cache")
        run_once(warm_cmd, work / "mlint-fill.txt")
        add(measure(warm, warm_cmd, runs, stdout=warm_out))
        warm.note = f"{_count_output_lines(warm_out)} diagnostics"
    except RuntimeError as exc:
        warm.error = str(exc)
        add(warm)

    single_lines = count_lines(single)
    add(
        measure(
            Measurement(
                "single_cold",
                f"`mlint check one_file.py` ({single_lines} lines), cold",
                lines=single_lines,
            ),
            [*check, "--no-cache", str(single)],
            runs,
        )
    )
    single_cache = work / "cache-single"
    shutil.rmtree(single_cache, ignore_errors=True)
    hit_cmd = [*check, "--cache-dir", str(single_cache), str(single)]
    hit = Measurement("single_hit", "`mlint check one_file.py`, cache hit", lines=single_lines)
    try:
        run_once(hit_cmd)
        add(measure(hit, hit_cmd, runs))
    except RuntimeError as exc:
        hit.error = str(exc)
        add(hit)

    if rss_reference is not None:
        ref = measure(
            Measurement(
                "rss_ref",
                f"`mlint check` cold on {rss_reference.label} (RSS reference)",
                lines=rss_reference.lines,
            ),
            [*check, "--no-cache", *map(str, rss_reference.roots)],
            1,
        )
        add(ref)

    fixit = fixit_command() if with_fixit else None
    if fixit is not None:
        bench.notes.append(f"Fixit: {tool_version([*fixit, '--version'])}.")
        fixit_m = measure(
            Measurement(
                "fixit",
                f"Fixit `fixit lint` (default rules, parallel), {fixit_runs} run(s)",
                lines=lines,
            ),
            [*fixit, "lint", *paths],
            fixit_runs,
            ok_codes=frozenset(range(64)),
        )
        # Its summary says how many files it really checked (it honours .gitignore files).
        fixit_m.note = " ".join(fixit_m.stderr.splitlines()[-1:]).strip("🛠️ ").strip()
        add(fixit_m)
    elif with_fixit:
        bench.notes.append("Fixit not installed (`--install-fixit` puts it in an isolated venv).")

    ruff = shutil.which("ruff") if with_ruff else None
    if ruff is not None:
        bench.notes.append(f"ruff: {tool_version([ruff, '--version'])}.")
        found = ruff_file_count(ruff, corpus.roots)
        if found != len(corpus.files):
            bench.notes.append(f"ruff discovers {found} files, the corpus has {len(corpus.files)}.")
        base = [
            ruff,
            "check",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            "--output-format",
            "concise",
            "--quiet",
        ]
        add(
            measure(
                Measurement("ruff", "ruff `check` (default rules)", lines=lines),
                [*base, *paths],
                runs,
            )
        )
        add(
            measure(
                Measurement("ruff_all", "ruff `check --select ALL`", lines=lines),
                [*base, "--select", "ALL", *paths],
                runs,
            )
        )
    elif with_ruff:
        bench.notes.append("ruff not on PATH: skipped.")
    return bench


# ----------------------------------------------------------------------------- report


def _fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def machine_lines() -> list[str]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or "?"
    try:
        from importlib.metadata import version

        import libcst  # noqa: F401

        libcst_version = version("libcst")
    except Exception:  # noqa: BLE001
        libcst_version = "?"
    from mlint import __version__

    commit = tool_version(["git", "rev-parse", "--short", "HEAD"])
    return [
        f"- Machine: `nproc` = {os.cpu_count()}, CPU: {cpu}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, libcst {libcst_version}, mlint {__version__} "
        + f"(commit {commit})",
    ]


RSS_FOOTNOTE = (
    "¹ `ru_maxrss` of the whole process tree: the maximum over mlint's main process and its "
    "workers (forked workers also count the pages they share with the parent)."
)


def _loads(loads: Sequence[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in loads)


def _shown_path(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def render(
    bench: Run, load_before: tuple[float, ...], load_after: tuple[float, ...], command: str
) -> str:
    c = bench.corpus
    floor = bench.get("parseN")
    floor_s = floor.median if floor else None
    out = [
        "# mlint benchmark results",
        "",
        f"- Corpus: {c.label} — {len(c.files)} files, {c.lines:,} lines",
        *machine_lines(),
        f"- Load average (1/5/15 min): before {_loads(load_before)}, after {_loads(load_after)}",
        f"- Command: `{command}`; medians of {bench.runs} run(s), each a whole process, wall clock",
        f"- Single file: `{_shown_path(bench.single)}`",
        "",
        "| what | median wall s | × parse floor | kLOC/s | peak RSS MB¹ | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for m in bench.results:
        med = m.median
        ratio = _ratio(med, floor_s) if m.lines == c.lines else None
        kloc = f"{m.lines / med / 1000:.1f}" if med and m.lines == c.lines else ""
        rss = f"{m.rss_mb:.0f}" if m.rss_mb is not None else "—"
        note = f"failed: {m.error}" if m.error else m.note
        if m.key == "rss_ref":
            ratio, kloc = None, f"{m.lines / med / 1000:.1f}" if med else ""
        out.append(
            f"| {m.what} | {_fmt_s(med)} | {'' if ratio is None else f'{ratio:.2f}x'} "
            f"| {kloc} | {rss} | {note} |"
        )
    out += [
        "",
        RSS_FOOTNOTE,
        "",
        "## Targets (issue 4)",
        "",
        "| target | measured | verdict |",
        "|---|---:|---|",
    ]
    cold = bench.get("cold")
    cold_s = cold.median if cold else None
    fixit = bench.get("fixit")
    rows: list[tuple[str, float | None, bool | None, str]] = []
    cold_ratio = _ratio(cold_s, floor_s)
    rows.append(
        (
            f"cold check ≤ {COLD_OVER_FLOOR_MAX}x libcst parse floor ({bench.jobs} processes)",
            cold_ratio,
            None if cold_ratio is None else cold_ratio <= COLD_OVER_FLOOR_MAX,
            "x",
        )
    )
    fixit_ratio = _ratio(fixit.median if fixit else None, cold_s)
    rows.append(
        (
            f"cold check ≥ {FIXIT_OVER_COLD_MIN:.0f}x faster than Fixit",
            fixit_ratio,
            None if fixit_ratio is None else fixit_ratio >= FIXIT_OVER_COLD_MIN,
            "x",
        )
    )
    for key, limit, label in (
        ("warm", WARM_MAX_S, "warm re-check of the unchanged corpus"),
        ("single_cold", SINGLE_COLD_MAX_S, "one ~200-line file, cold"),
        ("single_hit", SINGLE_HIT_MAX_S, "one ~200-line file, cache hit"),
    ):
        row = bench.get(key)
        value = row.median if row else None
        rows.append((f"{label} ≤ {limit} s", value, None if value is None else value <= limit, "s"))
    for measured in (bench.get("cold"), bench.get("rss_ref")):
        if measured is None or measured.rss_mb is None:
            continue
        where = f"{measured.lines:,} lines"
        rows.append(
            (
                f"peak RSS per worker ≤ {RSS_MAX_MB:.0f} MB (target on ~2.2M lines; here {where})",
                measured.rss_mb,
                None if measured.rss_mb is None else measured.rss_mb <= RSS_MAX_MB,
                "MB",
            )
        )
    for label, value, ok, unit in rows:
        shown = (
            "—"
            if value is None
            else f"{value:.2f}{unit}"
            if unit == "x"
            else f"{value:.3f} s"
            if unit == "s"
            else f"{value:.0f} MB"
        )
        verdict = "not measured" if ok is None else "met" if ok else "**not met**"
        out.append(f"| {label} | {shown} | {verdict} |")
    if bench.notes:
        out += ["", *(f"- {note}" for note in bench.notes)]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--large",
        action="store_true",
        help="add transformers, diffusers and lightning (~2.2M lines)",
    )
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (median)")
    parser.add_argument(
        "--fixit-runs", type=int, default=1, help="runs of Fixit, the slowest row (default 1)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"every {QUICK_EVERY}th file only, 1 run: for developing",
    )
    parser.add_argument(
        "--files",
        nargs="+",
        type=Path,
        default=None,
        help="benchmark these files instead of the PyPI corpus",
    )
    parser.add_argument(
        "--install-fixit",
        action="store_true",
        help=f"install fixit=={FIXIT_VERSION} into an isolated venv first",
    )
    parser.add_argument("--no-fixit", action="store_true")
    parser.add_argument("--no-ruff", action="store_true")
    parser.add_argument(
        "--work-dir", type=Path, default=HERE / ".work", help="scratch space (caches, outputs)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=HERE / "results.md",
        help="where to write the table (default benchmarks/results.md)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    runs = args.runs or (1 if args.quick or args.large else 3)
    load_before = os.getloadavg()
    work = args.work_dir.resolve()
    reference: Corpus | None = None
    if args.files:
        corpus = copy_subset(
            [p.resolve() for p in args.files],
            None,
            work / "files",
            f"{len(args.files)} given files",
        )
    else:
        packages = LARGE_PACKAGES if args.large else BASE_PACKAGES
        corpus = build_corpus(packages)
        if args.large:
            base = build_corpus(BASE_PACKAGES)
            reference = base if not args.quick else None
        if args.quick:
            subset = corpus.files[::QUICK_EVERY]
            corpus = copy_subset(
                subset,
                CORPUS_DIR / "src",
                work / "quick",
                f"{corpus.label}, every {QUICK_EVERY}th file (--quick)",
            )
    if args.install_fixit and not args.no_fixit:
        install_fixit()
    log(
        f"corpus: {corpus.label}: {len(corpus.files)} files, {corpus.lines:,} lines; "
        f"load {load_before[0]:.2f}"
    )
    bench = run_benchmark(
        corpus,
        work,
        runs,
        min(args.fixit_runs, runs) if args.quick else args.fixit_runs,
        not args.no_fixit,
        not args.no_ruff,
        reference,
    )
    command = "python benchmarks/bench.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    text = render(bench, load_before, os.getloadavg(), command)
    print(text)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    log(f"written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every output format: produced by the real CLI or by ``render``, then parsed back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from mlint.report import MODULES, ReportContext, render
from mlint.report.github import escape_data, escape_property
from mlint.types import Applicability, Diagnostic, Edit, FileResult, Fix, Location

ROOT = Path(__file__).resolve().parent.parent
BAD = (ROOT / "fixtures" / "ML501" / "bad.py").read_text(encoding="utf-8")
SCHEMA = json.loads(
    (ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)
# Lines of bad.py marked `# expect: ML501`: what every format must locate.
EXPECTED_LINES = [n for n, line in enumerate(BAD.splitlines(), 1) if "# expect: ML501" in line]
MARKED = len(EXPECTED_LINES)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CONCISE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>ML\d{3}) (?P<fix>\[\*\] )?(?P<msg>.+)$"
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _check(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mlint",
            "check",
            *args,
            "--no-cache",
            "--isolated",
            "--select",
            "ML501",
        ],
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        env=env if env is not None else _env(),
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(BAD, encoding="utf-8")
    return tmp_path


def _report(project: Path, fmt: str, *extra: str) -> str:
    proc = _check(project, "bad.py", "--output-format", fmt, *extra)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def _diag(
    path: str,
    line: int,
    col: int,
    end_col: int,
    *,
    message: str = "Call the module instead of `m.forward()`: forward hooks are skipped",
    end_line: int | None = None,
    fix: Fix | None = None,
    cell: int | None = None,
    extra: dict[str, str] | None = None,
) -> Diagnostic:
    return Diagnostic(
        path=path,
        code="ML501",
        name="direct-forward-call",
        message=message,
        start=Location(line, col),
        end=Location(end_line or line, end_col),
        fix=fix,
        noqa_line=end_line or line,
        cell=cell,
        extra=extra or {},
    )


# --- every format through the CLI --------------------------------------------------------


def test_every_format_is_covered() -> None:
    assert set(MODULES) == {
        "full",
        "concise",
        "json",
        "json-lines",
        "github",
        "gitlab",
        "sarif",
        "junit",
        "pylint",
        "grouped",
        "rdjson",
    }


def test_concise_lines_parse_back(project: Path) -> None:
    out = _report(project, "concise")
    parsed = [CONCISE.match(line) for line in out.splitlines() if line.startswith("bad.py")]
    assert all(parsed)
    assert [int(m["line"]) for m in parsed if m] == EXPECTED_LINES
    assert f"Found {MARKED} errors." in out


def test_full_shows_a_code_frame_under_each_header(project: Path) -> None:
    out = _report(project, "full")
    lines = out.splitlines()
    headers = [i for i, line in enumerate(lines) if CONCISE.match(line)]
    assert [int(CONCISE.match(lines[i])["line"]) for i in headers] == EXPECTED_LINES  # type: ignore[index]
    # First diagnostic: `h = self.proj.forward(x)` at 12:13, 20 characters long.
    first = lines[headers[0] : headers[1]]
    source_row = next(line for line in first if line.startswith("12 |"))
    assert source_row == "12 |         h = self.proj.forward(x)  # expect: ML501"
    caret_row = first[first.index(source_row) + 1]
    assert caret_row == "   |             " + "^" * 20 + " ML501"
    assert caret_row.index("^") == source_row.index("self.proj.forward(x)")
    assert "   = help: Call the module" in first
    assert not any(ANSI.search(line) for line in lines)
    assert f"Found {MARKED} errors." in out


def test_full_prints_each_fix_as_a_diff_and_flags_unsafe_ones(project: Path) -> None:
    out = _report(project, "full")
    assert "Safe fix" in out and "Unsafe fix" in out
    assert "12    |-        h = self.proj.forward(x)  # expect: ML501" in out
    assert "   12 |+        h = self.proj(x)  # expect: ML501" in out
    blocks = out.split("\n\n")
    unsafe = [b for b in blocks if "Unsafe fix" in b or "unsafe fix and may change" in b]
    assert unsafe and all("--unsafe-fixes" in out for b in unsafe)
    # The note sits with the unsafe diagnostic only, never under a safe one.
    notes = out.count("This is an unsafe fix and may change runtime behavior")
    assert notes == out.count("Unsafe fix\n")


def test_json_round_trips_like_ruff(project: Path) -> None:
    data = json.loads(_report(project, "json"))
    assert [d["location"]["row"] for d in data] == EXPECTED_LINES
    first = data[0]
    assert set(first) == {
        "cell",
        "code",
        "end_location",
        "filename",
        "fix",
        "location",
        "message",
        "name",
        "noqa_row",
        "severity",
        "url",
    }
    assert first["name"] == "direct-forward-call" and first["severity"] == "warning"
    assert first["filename"] == str(project / "bad.py")
    assert first["code"] == "ML501" and first["cell"] is None and first["noqa_row"] == 12
    assert first["url"].endswith("ML501.md")
    assert first["location"] == {"row": 12, "column": 13}
    assert first["end_location"] == {"row": 12, "column": 33}
    assert first["fix"] == {
        "applicability": "safe",
        "message": "Call the module",
        "edits": [
            {
                "content": "self.proj",
                "location": {"row": 12, "column": 13},
                "end_location": {"row": 12, "column": 30},
            }
        ],
    }
    assert {d["fix"]["applicability"] for d in data} == {"safe", "unsafe"}


def test_json_lines_holds_the_json_objects_one_per_line(project: Path) -> None:
    lines = _report(project, "json-lines").splitlines()
    assert [json.loads(line) for line in lines] == json.loads(_report(project, "json"))


GITHUB = re.compile(r"^::error (?P<props>[^:]*)::(?P<data>.*)$")


def _github_props(text: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in text.split(","))


def test_github_annotations_parse_back(project: Path) -> None:
    lines = _report(project, "github").splitlines()
    matches = [GITHUB.match(line) for line in lines]
    assert all(matches)
    props = [_github_props(m["props"]) for m in matches if m]
    assert [int(p["line"]) for p in props] == EXPECTED_LINES
    assert props[0] == {
        "title": "mlint (ML501)",
        "file": "bad.py",
        "line": "12",
        "col": "13",
        "endLine": "12",
        "endColumn": "33",
    }
    assert matches[0]["data"].startswith("bad.py:12:13: ML501 Call the module")  # type: ignore[index]


def _unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def test_github_escapes_data_and_properties() -> None:
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"
    diag = _diag("dir,x/we:ird%.py", 1, 1, 2, message="100% bad,\nreally: yes")
    line = render("github", [FileResult(diag.path, (diag,))], ReportContext())
    assert line.count("\n") == 1  # one annotation stays one line
    match = GITHUB.match(line.rstrip("\n"))
    assert match
    props = _github_props(match["props"])
    assert _unescape(props["file"]) == "dir,x/we:ird%.py"
    assert _unescape(match["data"]) == "dir,x/we:ird%.py:1:1: ML501 100% bad,\nreally: yes"


def test_gitlab_code_quality_parses_back(project: Path) -> None:
    issues = json.loads(_report(project, "gitlab"))
    assert [i["location"]["lines"]["begin"] for i in issues] == EXPECTED_LINES
    for issue in issues:
        assert issue["check_name"] == "ML501"
        assert issue["severity"] == "major"
        assert issue["location"]["path"] == "bad.py"
        assert issue["description"].startswith("ML501: ")
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_survive_unrelated_line_shifts(project: Path) -> None:
    before = json.loads(_report(project, "gitlab"))
    (project / "bad.py").write_text("# a new header comment\n\n\n" + BAD, encoding="utf-8")
    after = json.loads(_report(project, "gitlab"))
    assert [i["location"]["lines"]["begin"] for i in after] == [n + 3 for n in EXPECTED_LINES]
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]


def test_gitlab_fingerprints_tell_identical_findings_apart(tmp_path: Path) -> None:
    source = "y = m.forward(x)\ny = m.forward(x)\n"
    path = str(tmp_path / "dup.py")
    diags = (_diag(path, 1, 5, 17), _diag(path, 2, 5, 17))
    result = FileResult(path, diags, source=source)
    issues = json.loads(render("gitlab", [result], ReportContext(project_root=str(tmp_path))))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]
    # The same finding in another file is another finding.
    other = FileResult(
        str(tmp_path / "other.py"), (_diag(str(tmp_path / "other.py"), 1, 5, 17),), source=source
    )
    again = json.loads(render("gitlab", [other], ReportContext(project_root=str(tmp_path))))
    assert again[0]["fingerprint"] != issues[0]["fingerprint"]
    assert again[0]["location"]["path"] == "other.py"


def _validate_sarif(log: dict[str, object]) -> None:
    validator = jsonschema.Draft4Validator(
        SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(log), key=str)
    assert errors == [], errors[0].message if errors else ""


def test_sarif_is_valid_against_the_official_schema(project: Path) -> None:
    log = json.loads(_report(project, "sarif"))
    _validate_sarif(log)
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mlint" and driver["version"] and driver["informationUri"]
    rule = driver["rules"][0]
    assert rule["id"] == "ML501" and rule["name"] == "direct-forward-call"
    assert rule["helpUri"].endswith("ML501.md")
    assert "## Why is this bad?" in rule["help"]["markdown"]
    assert rule["fullDescription"]["text"].startswith("Checks for")
    results = run["results"]
    assert [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results
    ] == EXPECTED_LINES
    first = results[0]
    assert driver["rules"][first["ruleIndex"]]["id"] == first["ruleId"] == "ML501"
    artifact = first["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "bad.py", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 12,
        "startColumn": 13,
        "endLine": 12,
        "endColumn": 33,
    }
    replacement = first["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"] == {"text": "self.proj"}
    assert "baselineState" not in first


def test_sarif_carries_baseline_state_and_survives_odd_input(tmp_path: Path) -> None:
    path = str(tmp_path / "sub dir" / "m.py")
    diags = (
        _diag(path, 1, 1, 5, extra={"baseline_state": "new"}),
        _diag(path, 2, 1, 5, extra={"baseline_state": "unchanged"}),
        _diag(path, 3, 1, 5),
    )
    # No source at all (a cached result whose file has since gone): still valid SARIF.
    fix = Fix((Edit(0, 3, "x"),), Applicability.UNSAFE, "Do it")
    outside = _diag("/elsewhere/x.py", 1, 1, 2, fix=fix)
    results = [FileResult(path, diags), FileResult("/elsewhere/x.py", (outside,))]
    log = json.loads(render("sarif", results, ReportContext(project_root=str(tmp_path))))
    _validate_sarif(log)
    states = [r.get("baselineState") for r in log["runs"][0]["results"]]
    assert states == ["new", "unchanged", None, None]
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    ]
    assert uris[0] == "sub%20dir/m.py"
    assert uris[3] == "file:///elsewhere/x.py"
    empty = json.loads(render("sarif", [], ReportContext()))
    _validate_sarif(empty)
    assert empty["runs"][0]["results"] == []


def test_junit_parses_back(project: Path) -> None:
    out = _report(project, "junit")
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    assert root.get("failures") == str(MARKED) and root.get("tests") == str(MARKED)
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "bad.py" and suite.get("failures") == str(MARKED)
    cases = suite.findall("testcase")
    assert [int(c.get("line", "0")) for c in cases] == EXPECTED_LINES
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("Call the module instead of `self.proj.forward()`")
    assert (failure.text or "").startswith("line 12, col 13, ML501 ")


def test_junit_clean_run_is_one_passing_test(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    proc = _check(tmp_path, "ok.py", "--output-format", "junit")
    assert proc.returncode == 0
    root = ET.fromstring(proc.stdout.encode("utf-8"))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 1 and cases[0].find("failure") is None
    assert root.get("failures") == "0"


def test_junit_escapes_markup_and_control_characters(tmp_path: Path) -> None:
    path = str(tmp_path / "a&b<c>.py")
    diag = _diag(path, 1, 1, 2, message='Use `a < b & "c"`\x0b now')
    root = ET.fromstring(
        render("junit", [FileResult(path, (diag,))], ReportContext()).encode("utf-8")
    )
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == 'Use `a < b & "c"`\ufffd now'


PYLINT = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+): \[(?P<code>ML\d{3})\((?P<name>[a-z-]+)\)\] (?P<msg>.+)$"
)


def test_pylint_lines_parse_back(project: Path) -> None:
    matches = [PYLINT.match(line) for line in _report(project, "pylint").splitlines()]
    assert all(matches)
    assert [int(m["line"]) for m in matches if m] == EXPECTED_LINES
    assert {(m["path"], m["code"], m["name"]) for m in matches if m} == {
        ("bad.py", "ML501", "direct-forward-call")
    }


# --- the full format's frames -------------------------------------------------------------


def test_full_reads_the_file_for_cached_results_and_degrades_when_it_is_gone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.py"
    path.write_text("a = 1\ny = m.forward(x)\n", encoding="utf-8")
    diag = _diag(
        str(path), 2, 5, 17, fix=Fix((Edit(10, 20, "m"),), Applicability.SAFE, "Call the module")
    )
    cached = FileResult(str(path), (diag,), cached=True)  # no source, as from the cache
    text = render("full", [cached], ReportContext(show_fixes=True))
    assert "2 | y = m.forward(x)" in text and "  |     ^^^^^^^^^^^^ ML501" in text
    path.unlink()
    gone = render("full", [cached], ReportContext(show_fixes=True))
    assert gone.splitlines()[0].endswith(
        ":2:5: ML501 [*] Call the module instead of `m.forward()`: forward hooks are skipped"
    )
    assert "= help: Call the module" in gone
    assert " | " not in gone


def test_full_frames_notebook_cells(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title\n"]},
            {"cell_type": "code", "source": ["import torch\n", "y = model.forward(x)\n"]},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = str(tmp_path / "nb.ipynb")
    diag = _diag(path, 2, 5, 21, cell=2)
    text = render("full", [FileResult(path, (diag,), source=json.dumps(notebook))], ReportContext())
    lines = text.splitlines()
    assert lines[0].endswith(
        "nb.ipynb:cell 2:2:5: ML501 Call the module instead of `m.forward()`: forward hooks are skipped"
    )
    assert "2 | y = model.forward(x)" in lines
    assert "  |     " + "^" * 16 + " ML501" in lines


def test_full_brackets_a_span_over_several_lines() -> None:
    source = "def f():\n    y = model.forward(\n        x,\n    )\n    return y\n"
    diag = _diag("s.py", 2, 9, 6, end_line=4)
    text = render("full", [FileResult("s.py", (diag,), source=source)], ReportContext())
    assert text.splitlines()[1:8] == [
        "  |",
        "1 |   def f():",
        "2 |       y = model.forward(",
        "  |  _________^",
        "3 | |         x,",
        "4 | |     )",
        "  | |_____^ ML501",
    ]


def test_full_aligns_carets_after_tabs_and_wide_characters() -> None:
    source = "\tname = '数据'; y = m.forward(x)\n"
    start = source.index("m.forward") + 1
    diag = _diag("t.py", 1, start, start + len("m.forward(x)"))
    text = render("full", [FileResult("t.py", (diag,), source=source)], ReportContext())
    row, carets = text.splitlines()[2:4]
    # Tabs become four spaces and each CJK character takes two cells.
    assert row == "1 |     name = '数据'; y = m.forward(x)"
    assert carets.index("^") == len("1 |     name = '") + 4 + len("'; y = ")


# --- colour, files and streams ----------------------------------------------------------


def test_no_colour_when_stdout_is_not_a_terminal(project: Path) -> None:
    assert not ANSI.search(_check(project, "bad.py").stdout)


def test_no_color_env_wins_over_force_color(project: Path) -> None:
    proc = _check(project, "bad.py", env=_env(NO_COLOR="1", FORCE_COLOR="1"))
    assert "ML501" in proc.stdout and not ANSI.search(proc.stdout)


def test_color_always_adds_ansi_to_text_formats_only(project: Path) -> None:
    for fmt in ("full", "concise"):
        proc = _check(project, "bad.py", "--output-format", fmt, "--color", "always")
        assert ANSI.search(proc.stdout), fmt
        assert ANSI.sub("", proc.stdout) == _check(project, "bad.py", "--output-format", fmt).stdout
    proc = _check(project, "bad.py", "--output-format", "json", "--color", "always")
    assert not ANSI.search(proc.stdout)
    json.loads(proc.stdout)


def test_output_file_gets_the_report_and_stdout_stays_empty(project: Path) -> None:
    proc = _check(project, "bad.py", "--output-format", "sarif", "-o", "report.sarif")
    assert proc.returncode == 1
    assert proc.stdout == ""
    _validate_sarif(json.loads((project / "report.sarif").read_text(encoding="utf-8")))


def test_errors_go_to_stderr_and_the_report_to_stdout(project: Path) -> None:
    proc = _check(project, "bad.py", "missing.py", "--output-format", "json")
    assert "mlint: error" in proc.stderr and "missing.py" in proc.stderr
    data = json.loads(proc.stdout)  # stdout holds nothing but the report
    assert [d["location"]["row"] for d in data] == EXPECTED_LINES

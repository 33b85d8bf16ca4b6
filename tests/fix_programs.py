"""Generated programs for the fix properties, and the properties themselves.

Programs splice the fixtures' anti-patterns (and hand-written ones: `match`, `except*`,
walrus, f-strings, decorators) into odd places, so that the fixers run; ``hypothesmith``
adds programs no one would write. ``tests/test_fix_properties.py`` runs a bounded number
in the suite, ``benchmarks/fuzz_fixes.py`` as many as asked. Never execute them.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from hypothesis import strategies as st

from mlint.engine import lint_source
from mlint.fix import compiles, fix_source
from mlint.rules import all_rules
from mlint.types import Applicability, LintSettings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Anti-patterns in shapes the fixtures do not show: (imports, code with `{{`/`}}` braces).
EXTRA_SNIPPETS = (
    (
        "import torch",
        """\
net = torch.nn.Linear(2, 2)
if (out := net.forward(torch.ones(2))) is not None:
    print(f"{{net.forward(out)!r:>10}} {{'nested'}}")""",
    ),
    (
        "import torch",
        """\
net = torch.nn.Linear(2, 2)
match net.forward(torch.ones(2)):
    case torch.Tensor() as t if t.sum() > 0:
        print(net.forward(t))
    case _:
        pass""",
    ),
    (
        "import torch",
        """\
net = torch.nn.Linear(2, 2)
try:
    y = net.forward(torch.ones(2))
except* ValueError as group:
    print(group, net.forward(y))""",
    ),
    (
        "import asyncio",
        """\
async def crawl(urls, fetch):
    pages = []
    for url in urls:
        pages.append(await fetch(url))
    return [await fetch(u) for u in urls if (n := len(u))]""",
    ),
    (
        "import asyncio",
        """\
async def pair(a, b):
    x = await a()
    y = await b()
    return x, y""",
    ),
    (
        "import functools\nimport torch\nfrom torch import nn",
        """\
class Block(nn.Module):
    @functools.wraps(print)
    def __init__(self, dim): self.proj = nn.Linear(dim, dim)
    def forward(self, x): return self.proj.forward(x)  # trailing""",
    ),
    (
        "import torch",
        """\
config = {{"lr": 1e-3, "batch_size": 8, "epochs": 2}}; other = 1
def train(model, loader):
    opt = torch.optim.SGD(model.parameters(), lr=config['lr'])
    for step, (x, y) in enumerate(loader):
        loss = model.forward(x).sub(y).pow(2).mean()
        loss.backward()
        opt.step()
        print(f"{{step}}: {{loss.item()}} {{config['epochs']}}")""",
    ),
    (
        "import torch\nfrom torch.utils.data import Dataset",
        """\
class Pairs(Dataset):
    \"\"\"Pairs.\"\"\"
    def __init__(self, items):
        self.items = items
    def __getitem__(self, i):
        return torch.tensor(self.items[i])""",
    ),
    (
        "import torch",
        """\
net = torch.nn.Linear(2, 2)
value = (net
    .forward(torch.ones(2))
    .sum())
total = net.forward(\\
    torch.ones(2))""",
    ),
)

# Each wraps a block (already indented one `{unit}`) in a statement around it.
WRAPPERS = (
    "",
    'if __name__ == "__main__":\n',
    "def main():\n",
    "async def amain():\n",
    "class Holder:\n",
    "for _ in range(2):\n",
    "while False:\n",
    "with open(__file__) as handle:\n",
    "try:\n{body}except* OSError:\n{unit}pass\n",
    "try:\n{body}finally:\n{unit}pass\n",
    "match __name__:\n{unit}case 'x' | 'y':\n{unit}{unit}pass\n{unit}case _:\n{body_deeper}",
    "@functools.cache\ndef cached():\n",
)


@dataclass(frozen=True)
class Snippet:
    imports: tuple[str, ...]
    body: str  # at `{unit}` placeholders for indentation, 4 spaces otherwise


def _split(path: Path) -> list[Snippet]:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    imports = tuple(
        module.code_for_node(s).strip()
        for s in module.body
        if isinstance(s, cst.SimpleStatementLine)
        and isinstance(s.body[0], (cst.Import, cst.ImportFrom))
    )
    return [
        Snippet(imports, module.code_for_node(s).strip("\n").replace("{", "{{").replace("}", "}}"))
        for s in module.body
        if not (
            isinstance(s, cst.SimpleStatementLine)
            and isinstance(s.body[0], (cst.Import, cst.ImportFrom))
        )
    ]


@functools.cache
def fixture_files() -> tuple[tuple[Snippet, ...], ...]:
    """The top-level statements of each fixture file (bad and good), and the extra shapes."""
    out: list[tuple[Snippet, ...]] = []
    for folder in sorted(FIXTURES.glob("ML*")):
        if folder.name in ("ML001", "ML003"):  # files that do not parse (by CPython or libcst)
            continue
        for name in ("bad.py", "good.py"):
            out.append(tuple(_split(folder / name)))
    for imports, body in EXTRA_SNIPPETS:
        out.append((Snippet(tuple(imports.splitlines()), body),))
    return tuple(out)


@functools.cache
def snippets() -> tuple[Snippet, ...]:
    return tuple(snippet for file in fixture_files() for snippet in file)


def _indent(block: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in block.splitlines(True))


def _wrap(body: str, wrapper: str) -> str:
    if not wrapper:
        return body
    inner = _indent(body, "{unit}")
    if "{body}" in wrapper or "{body_deeper}" in wrapper:
        return wrapper.replace("{body}", inner + "\n").replace(
            "{body_deeper}", _indent(body, "{unit}{unit}") + "\n"
        )
    return wrapper + inner


def _render(template: str, unit: str) -> str:
    # Fixture code is 4-space indented: re-indent it with `unit` as well.
    lines = []
    for line in template.split("\n"):
        levels = 0
        while line.startswith("{unit}"):
            line = line.removeprefix("{unit}")
            levels += 1
        stripped = line.lstrip(" ")
        spaces = len(line) - len(stripped)
        lines.append(unit * (levels + spaces // 4) + " " * (spaces % 4) + stripped)
    return "\n".join(lines).replace("{unit}", unit).replace("{{", "{").replace("}}", "}")


@st.composite
def spliced_programs(draw: st.DrawFn) -> str:
    """A program of fixture anti-patterns, each maybe wrapped in a block, in a random order."""
    # Whole fixture files, whose statements work together (a config dict and its uses),
    # then single statements from anywhere.
    whole = draw(st.lists(st.sampled_from(fixture_files()), max_size=2))
    chosen = [snippet for file in whole for snippet in file]
    chosen += draw(st.lists(st.sampled_from(snippets()), min_size=0 if chosen else 1, max_size=6))
    chosen = draw(st.permutations(chosen)) if draw(st.booleans()) else chosen
    unit = draw(st.sampled_from(["    ", "  ", "\t"]))
    imports: list[str] = ["import functools"]
    for snippet in chosen:
        for line in snippet.imports:
            if line not in imports and draw(st.integers(0, 9)) > 0:  # now and then one is missing
                imports.append(line)
    blocks = []
    for snippet in chosen:
        wrapped = _render(_wrap(snippet.body, draw(st.sampled_from(WRAPPERS))), unit)
        blocks.append(wrapped if compiles(wrapped + "\n") else _render(snippet.body, unit))
    docstring = draw(st.sampled_from(["", '"""A module."""\n', "#!/usr/bin/env python\n"]))
    future = draw(st.sampled_from(["", "from __future__ import annotations\n"]))
    program = docstring + future + "\n".join(imports) + "\n\n\n" + "\n\n\n".join(blocks) + "\n"
    if not compiles(program):
        program = "\n".join(imports) + "\n\n\n" + "\n\n\n".join(blocks) + "\n"
    return program


def grammar_programs() -> st.SearchStrategy[str]:
    """Programs from Python's grammar (hypothesmith), an anti-pattern appended to some."""
    import hypothesmith

    tail = st.sampled_from(["", "\n" + _render(EXTRA_SNIPPETS[0][1], "    ") + "\n"])
    return st.tuples(hypothesmith.from_grammar(), tail).map(
        lambda pair: ("import torch\n" + pair[0] + pair[1]) if pair[1] else pair[0]
    )


def _form_feeds(source: str) -> str:
    """A form feed at the start of every unindented line (libcst drops some of them)."""
    return "".join(
        "\x0c" + line if line[:1] not in ("", " ", "\t", "\n", "\r") else line
        for line in source.splitlines(True)
    )


# How a program's text may differ from the plain one, and how to undo it on a fix result.
VARIANTS: dict[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "plain": (lambda s: s, lambda s: s),
    "crlf": (lambda s: s.replace("\n", "\r\n"), lambda s: s.replace("\r\n", "\n")),
    "cr": (lambda s: s.replace("\n", "\r"), lambda s: s.replace("\r", "\n")),
    "formfeed": (_form_feeds, lambda s: s.replace("\x0c", "")),
    "bom": (lambda s: "\ufeff" + s, lambda s: s.removeprefix("\ufeff")),
}


def settings(applicability: Applicability) -> LintSettings:
    """Every rule on, every fix allowed (``select = ["ALL"]``)."""
    codes = frozenset(all_rules())
    return LintSettings(enabled=codes, fixable=codes, applicability=applicability)


def check(source: str, variant: str = "plain", applied: Counter[str] | None = None) -> list[str]:
    """Each property the ``variant`` of ``source`` breaks, in words; empty when all hold.

    Lint never raises; each safe and unsafe fix result compiles; fixing twice equals
    fixing once; inserted lines use the file's line ending; and a variant's fix is the
    plain fix, varied the same way (with form feeds: up to blank lines, as ML401 counts
    blank lines above a class with `\n` only). ``applied`` counts the fixes applied, by rule.
    """
    convert, undo = VARIANTS[variant]
    text = convert(source)
    if not compiles(text):
        return []  # e.g. a form feed inside an indented block: not a program Python accepts
    problems: list[str] = []
    try:
        lint_source(text, "prog.py", settings(Applicability.UNSAFE))
    except Exception as exc:  # noqa: BLE001  (the property: nothing is raised)
        return [f"{variant}: lint raised {type(exc).__name__}: {exc}"]
    for applicability in (Applicability.SAFE, Applicability.UNSAFE):
        kind = f"{variant} {applicability.value} fix"
        try:
            outcome = fix_source(text, "prog.py", settings(applicability))
            once = outcome.source
            if applied is not None:
                applied.update(f"{code} {applicability.value}" for code in outcome.applied_codes)
            twice = fix_source(once, "prog.py", settings(applicability)).source
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{kind} raised {type(exc).__name__}: {exc}")
            continue
        if once != text and not compiles(once):
            problems.append(f"{kind}: result does not compile")
        if twice != once:
            problems.append(f"{kind}: a second fix changes the result")
        if variant == "crlf" and "\n" in once.replace("\r\n", ""):
            problems.append(f"{kind}: a `\\n` line in a CRLF file")
        if variant == "cr" and "\n" in once:
            problems.append(f"{kind}: a `\\n` line in a CR file")
        if variant != "plain":
            plain = fix_source(undo(text), "prog.py", settings(applicability)).source
            if _lines(undo(once), variant) != _lines(plain, variant):
                problems.append(f"{kind}: differs from the fix of the plain text")
    return problems


def _lines(text: str, variant: str) -> list[str]:
    """The lines to compare: a form feed may leave a whitespace-only line where a blank was."""
    lines = text.split("\n")
    return [line for line in lines if line.strip()] if variant == "formfeed" else lines

"""No input crashes a run: every compound statement, hostile nesting, dying workers."""

from __future__ import annotations

import textwrap

import pytest

from mlint.engine import lint_source
from mlint.rule import all_rules
from mlint.types import LintSettings

ALL = LintSettings(enabled=frozenset(all_rules()), fixable=frozenset(all_rules()))

# Each block holds a `.forward()` call on a module (ML501), so a walker that skips the
# block, or stops at it, loses a diagnostic the test can see.
BLOCKS = {
    "match": """
        match cmd:
            case "a" | "b":
                y = net.forward(x)
            case {"k": v, **rest}:
                pass
            case [first, *others]:
                pass
            case Point(x=0) as p:
                pass
            case _:
                pass
    """,
    "try-star": """
        try:
            pass
        except* ValueError as group:
            y = net.forward(x)
        else:
            pass
        finally:
            pass
    """,
    "try-finally": """
        try:
            import torch.nn.functional as F2
        except ImportError:
            pass
        else:
            pass
        finally:
            y = net.forward(x)
    """,
    "try-handler": """
        try:
            pass
        except (ValueError, TypeError) as exc:
            y = net.forward(x)
    """,
    "with": """
        with open("f") as handle, open("g"):
            y = net.forward(x)
    """,
    "async-with-for": """
        async def inner():
            async with lock:
                async for item in stream:
                    y = net.forward(x)
    """,
    "for-else": """
        for i in range(3):
            pass
        else:
            y = net.forward(x)
    """,
    "while-else": """
        while cond:
            break
        else:
            y = net.forward(x)
    """,
    "if-chain": """
        if a:
            pass
        elif b:
            pass
        elif c: z = 1
        else:
            y = net.forward(x)
    """,
    "one-line-suite": """
        if a: y = net.forward(x)
    """,
    "class-def": """
        class Inner:
            attr = net.forward(x)
    """,
    "function-def": """
        @decorator
        def inner(a, /, b=1, *c, d, **e):
            return net.forward(x)
    """,
}


def _program(block: str) -> str:
    body = textwrap.indent(textwrap.dedent(block).strip("\n"), "    ")
    return (
        "import torch\n"
        "from torch import nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n\n\n"
        "def run(cmd, x, a, b, c, cond, lock, stream, decorator, Point):\n"
        "    net = Net()\n"
        f"{body}\n"
    )


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_every_rule_reports_inside_every_compound_statement(name: str) -> None:
    source = _program(BLOCKS[name])
    compile(source, "program.py", "exec")  # the program itself is valid Python
    diagnostics = lint_source(source, "program.py", ALL)
    codes = [d.code for d in diagnostics]
    assert "ML001" not in codes
    assert "ML501" in codes, codes


def test_every_compound_statement_in_one_module_with_every_rule() -> None:
    source = "\n\n".join(
        _program(block).replace("def run", f"def run_{i}")
        for i, block in enumerate(BLOCKS.values())
    )
    diagnostics = lint_source(source, "program.py", ALL)
    assert sum(d.code == "ML501" for d in diagnostics) >= len(BLOCKS)

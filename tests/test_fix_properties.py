"""Properties of fixes on generated programs: a bounded run here, a long one in benchmarks/."""

from __future__ import annotations

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mlint.engine import lint_source
from mlint.types import Applicability
from tests.fix_programs import VARIANTS, check, grammar_programs, settings, spliced_programs

# Fixed examples, no database: the suite sees the same programs on every machine.
BOUNDED = hypothesis_settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@hypothesis_settings(BOUNDED, max_examples=40)
@given(source=spliced_programs(), variant=st.sampled_from(sorted(VARIANTS)))
def test_fixes_of_spliced_anti_patterns_compile_and_settle(source: str, variant: str) -> None:
    assert check(source, variant) == []


@hypothesis_settings(BOUNDED, max_examples=30)
@given(source=grammar_programs(), variant=st.sampled_from(sorted(VARIANTS)))
def test_fixes_of_grammar_programs_compile_and_settle(source: str, variant: str) -> None:
    assert check(source, variant) == []


def test_a_match_statement_is_analysed_not_an_internal_error() -> None:
    # Found by the spliced programs: the import, class and statement walkers read
    # `Match.body`, which does not exist, and the whole file failed to lint.
    source = (
        "import torch\n"
        "from torch import nn\n"
        "\n"
        "match __name__:\n"
        "    case _:\n"
        "        class Head(nn.Module):\n"
        "            def __init__(self, dim):\n"
        "                self.proj = nn.Linear(dim, 2)\n"
        "        try:\n"
        "            import numpy as np\n"
        "        except* ImportError:\n"
        "            np = None\n"
    )
    diagnostics = lint_source(source, "m.py", settings(Applicability.SAFE))
    assert [(d.code, d.start.line) for d in diagnostics] == [("ML503", 7)]

"""Properties of fixes on generated programs: a bounded run here, a long one in benchmarks/."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fix_programs import VARIANTS, check, grammar_programs, spliced_programs

# Fixed examples, no database: the suite sees the same programs on every machine.
BOUNDED = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@settings(BOUNDED, max_examples=40)
@given(source=spliced_programs(), variant=st.sampled_from(sorted(VARIANTS)))
def test_fixes_of_spliced_anti_patterns_compile_and_settle(source: str, variant: str) -> None:
    assert check(source, variant) == []


@settings(BOUNDED, max_examples=30)
@given(source=grammar_programs(), variant=st.sampled_from(sorted(VARIANTS)))
def test_fixes_of_grammar_programs_compile_and_settle(source: str, variant: str) -> None:
    assert check(source, variant) == []

"""`mlint check`'s flags reach the check as one frozen, typed `CheckOptions`."""

from __future__ import annotations

import dataclasses

import pytest

from mlint.cli import check
from mlint.types import CheckOptions


def _parsed(*args: str) -> CheckOptions:
    with check.make_context("check", list(args)) as context:
        return CheckOptions(**context.params)


def test_no_flags_give_the_default_options() -> None:
    assert _parsed() == CheckOptions()


def test_flags_land_in_their_fields() -> None:
    options = _parsed("src", "--fix", "--select", "ML5,ML2", "--no-respect-gitignore", "-j", "3")
    assert options == CheckOptions(
        paths=("src",), fix=True, select=("ML5,ML2",), respect_gitignore=False, jobs=3
    )


def test_check_options_are_frozen() -> None:
    options = CheckOptions(paths=("src",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.fix = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("flags", "mode"),
    [
        ({}, "check"),
        ({"fix": True}, "fix"),
        ({"fix_only": True}, "fix"),
        ({"diff": True}, "diff"),
        ({"diff": True, "fix": True}, "diff"),
    ],
)
def test_mode_follows_the_fix_flags(flags: dict[str, bool], mode: str) -> None:
    assert CheckOptions(**flags).mode == mode

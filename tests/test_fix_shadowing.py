"""A fix that writes a builtin or an imported name stays away from files that rebind that name."""

from __future__ import annotations

import pytest

from mlint.engine import lint_source
from mlint.fix import fix_source
from mlint.testing import settings_for

SHADOWED = {
    "ML507": ("def len(x):\n    return 0\n\nn = dataset.__len__()\n"),
    "ML401": (
        "from pydantic.dataclasses import dataclass\n"
        "\n"
        "\n"
        "def local(model):\n"
        '    hparams = {"lr": 1e-3, "weight_decay": 0.01, "warmup_steps": 100}\n'
        '    return model.fit(hparams["lr"], hparams["weight_decay"], hparams["warmup_steps"])\n'
    ),
    "ML503": (
        "from torch import nn\n"
        "\n"
        "super = print\n"
        "\n"
        "\n"
        "class Head(nn.Module):\n"
        "    def __init__(self):\n"
        "        self.proj = nn.Linear(2, 2)\n"
    ),
}


@pytest.mark.parametrize("code", sorted(SHADOWED))
def test_reported_but_not_fixed_when_the_name_is_rebound(code: str) -> None:
    source = SHADOWED[code]
    settings = settings_for(code, unsafe=True)
    found = [d for d in lint_source(source, "shadow.py", settings) if d.code == code]
    assert found, "the problem is still reported"
    assert all(d.fix is None for d in found)
    assert fix_source(source, "shadow.py", settings).source == source

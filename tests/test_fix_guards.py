"""Fixes of the resources and concurrency rules that would change behaviour are not offered."""

from __future__ import annotations

import pytest

from mlint.engine import lint_source
from mlint.testing import settings_for

SHADOWED_ASYNCIO = {
    "ML304": ("import time\n\n\nasync def backoff(asyncio):\n    time.sleep(1)\n"),
    "ML302": (
        "asyncio = make_loop_helper()\n\n\n"
        "async def load(user):\n"
        "    profile = await fetch_profile(user)\n"
        "    history = await fetch_history(user)\n"
        "    return profile, history\n"
    ),
    "ML301": (
        "from trio import lowlevel as asyncio\n\n\n"
        "async def fetch_all(client, urls):\n"
        "    pages = []\n"
        "    for url in urls:\n"
        "        pages.append(await client.get_page(url))\n"
        "    return pages\n"
    ),
    "ML306": (
        "from transformers import pipeline\n\n"
        "classifier = pipeline('sentiment-analysis')\n\n\n"
        "async def classify(text):\n"
        "    for asyncio in range(2):\n"
        "        pass\n"
        "    return classifier(text)\n"
    ),
}


@pytest.mark.parametrize("code", sorted(SHADOWED_ASYNCIO))
def test_no_fix_inserts_asyncio_where_the_name_is_rebound(code: str) -> None:
    source = SHADOWED_ASYNCIO[code]
    diagnostics = [
        d for d in lint_source(source, "x.py", settings_for(code, unsafe=True)) if d.code == code
    ]
    assert diagnostics, "the problem is still reported"
    assert [d.fix for d in diagnostics] == [None] * len(diagnostics)

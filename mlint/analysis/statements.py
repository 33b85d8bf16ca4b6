"""The suites under a compound statement, for walkers that go statement by statement.

One place that knows every libcst compound statement and its clauses (``if``/``elif``/
``else``, loop ``else``, ``try``/``try*`` handlers and ``finally``, ``match`` cases), so a
walker never assumes that a compound statement has a ``.body``.
"""

from __future__ import annotations

import libcst as cst


def inner_suites(node: cst.CSTNode) -> list[cst.BaseSuite]:
    """Every suite directly under a compound statement or clause, in source order."""
    if isinstance(node, cst.Match):
        return [case.body for case in node.cases]
    suites: list[cst.BaseSuite] = []
    current: cst.CSTNode | None = node
    while current is not None:  # an `elif` chain is a chain of `If.orelse`: no recursion
        body = getattr(current, "body", None)
        if isinstance(body, cst.BaseSuite):
            suites.append(body)
        for handler in getattr(current, "handlers", ()):
            suites.append(handler.body)
        orelse = getattr(current, "orelse", None)
        finalbody = getattr(current, "finalbody", None)
        if isinstance(orelse, cst.Else):
            suites.append(orelse.body)
            orelse = None
        if isinstance(finalbody, cst.Finally):
            suites.append(finalbody.body)
        current = orelse if isinstance(orelse, cst.If) else None
    return suites

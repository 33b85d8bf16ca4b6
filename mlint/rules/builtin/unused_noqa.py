"""ML002 `unused-noqa`: the rule and the helpers only it uses."""

from __future__ import annotations

from mlint.rule import Rule, register
from mlint.types import FixAvailability


@register
class UnusedNoqa(Rule):
    """## What it does
    Reports an `ML` code in a `# noqa` comment that suppressed no diagnostic on its line,
    and codes that name no mlint rule.

    ## Why is this bad?
    A stale suppression hides the next real problem on that line and misleads readers.
    Codes of other tools (`E501`, `F401`) and blanket `# noqa` comments are left alone.

    ## Example
    ```python
    model = Net()  # noqa: ML501
    ```

    ## Use instead
    ```python
    model = Net()
    ```

    ## Fix safety
    The fix removes only the unused codes (or the whole directive when none is left) and
    is safe.
    """

    code = "ML002"
    name = "unused-noqa"
    message = "Unused `noqa` directive"
    fix_availability = FixAvailability.ALWAYS

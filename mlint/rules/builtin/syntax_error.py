"""ML001 `syntax-error`: the rule and the helpers only it uses."""

from __future__ import annotations

from mlint.rule import Rule, register


@register
class SyntaxError_(Rule):
    """## What it does
    Reports a file that does not parse as Python.

    ## Why is this bad?
    No rule can check a file that does not parse, and Python will refuse to run it.

    ## Example
    ```python
    def train(:
        ...
    ```

    ## Use instead
    ```python
    def train():
        ...
    ```

    ## Fix safety
    No fix is offered: mlint cannot know what was meant.
    """

    code = "ML001"
    name = "syntax-error"
    message = "SyntaxError: the file does not parse"

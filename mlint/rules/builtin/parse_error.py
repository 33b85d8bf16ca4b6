"""ML003: a file CPython accepts but mlint's parser cannot read (reported by the engine)."""

from __future__ import annotations

from mlint.rule import Rule, register


@register
class ParseError(Rule):
    """## What it does
    Reports a file that Python accepts but mlint's parser (libcst) cannot read: a few rare
    spellings that CPython's parser tolerates, such as a keyword glued to a bracket in a
    conditional expression. The file is counted as not checked, and the run exits with
    code 2.

    ## Why is this bad?
    The code is not at fault, but no rule could look at it: a clean report for this file
    would be a false "all clear". It is reported whatever `--select` says, and a `noqa`
    comment cannot hide it. A file that Python itself rejects is `ML001` instead.

    ## Example
    ```python
    make_default = () if cached else(lambda: ())
    ```

    ## Use instead
    ```python
    make_default = () if cached else (lambda: ())
    ```

    ## Fix safety
    No fix is offered: formatting the file (`ruff format`, `black`) usually gives it a
    spelling mlint can read.
    """

    code = "ML003"
    name = "parse-error"
    message = "mlint cannot parse this file"

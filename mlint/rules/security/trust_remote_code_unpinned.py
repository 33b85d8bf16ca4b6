"""ML702 trust-remote-code-unpinned."""

from __future__ import annotations

import re

import libcst as cst

from mlint.rule import Rule, register
from mlint.rules.security._shared import resolve_literal, string_value
from mlint.rules.training._shared_608 import keyword, positional

_COMMIT = re.compile(r"[0-9a-f]{40}")
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
# Callables that fetch and run repository code, and where their model id is passed.
_LOADERS: dict[str, tuple[int, str]] = {
    "transformers.pipeline": (1, "model"),
    "datasets.load_dataset": (0, "path"),
    "sentence_transformers.SentenceTransformer": (0, "model_name_or_path"),
    "vllm.LLM": (0, "model"),
}
_FROM_PRETRAINED = (0, "pretrained_model_name_or_path")


@register
class TrustRemoteCodeUnpinned(Rule):
    """## What it does
    Checks for `trust_remote_code=True` in `from_pretrained`, `pipeline`,
    `load_dataset`, `SentenceTransformer` and vLLM's `LLM` for a Hugging Face Hub id
    written in the code, without `revision=` (or `code_revision=`) set to a 40-character
    commit hash.

    ## Why is this bad?
    `trust_remote_code=True` downloads the repository's Python files and runs them in
    your process, with your credentials and data. Without a pinned commit it runs
    whatever the repository holds at the moment of the download: a compromised or
    simply updated repository changes the code you execute (or breaks it) with no change
    on your side. A branch or tag name (`"main"`, `"v1.0"`) can be moved too.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("org/model", trust_remote_code=True)
    ```

    ## Use instead
    ```python
    model = AutoModelForCausalLM.from_pretrained(
        "org/model",
        trust_remote_code=True,
        revision="0123456789abcdef0123456789abcdef01234567",
    )
    ```

    ## Fix safety
    No fix: the commit to trust has to be reviewed and chosen by a human.

    Literals are followed through names (`MODEL = "org/model"` at module level, a
    parameter default, `kwargs.get("revision", "main")`). Not reported: a model id that is
    not a literal (a command-line argument or configuration value: the user picks the
    model and cannot be pinned in code), local paths (`"./ckpt"`, `"/models/x"`), a
    revision that comes from elsewhere, `**kwargs` that may carry one, and
    `trust_remote_code=False` or a variable flag.
    """

    code = "ML702"
    name = "trust-remote-code-unpinned"
    message = "`trust_remote_code=True` without a pinned `revision`: pin a commit hash"
    triggers = ("trust_remote_code",)

    def visit_Call(self, node: cst.Call) -> None:
        flag = keyword(node, "trust_remote_code")
        if flag is None:
            return
        ctx = self.context
        flag_value = resolve_literal(ctx, flag.value)
        if not (isinstance(flag_value, cst.Name) and flag_value.value == "True"):
            return
        where = self._model_argument(node)
        if where is None:
            return
        index, name = where
        model_arg = keyword(node, name) or positional(node, index)
        model_id = string_value(resolve_literal(ctx, model_arg.value)) if model_arg else None
        if model_id is None or not _HUB_ID.fullmatch(model_id) or model_id.startswith("."):
            return
        problem = self._revision_problem(node)
        if problem is None:
            return
        self.report(
            node,
            f"`trust_remote_code=True` runs code from `{model_id}` {problem}: pass "
            "`revision=` a reviewed commit hash",
        )

    def _model_argument(self, node: cst.Call) -> tuple[int, str] | None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "from_pretrained":
            return _FROM_PRETRAINED
        resolved = self.context.imports.resolve(func)
        if resolved is None or not resolved.certain:
            return None
        return _LOADERS.get(resolved.name)

    def _revision_problem(self, node: cst.Call) -> str | None:
        """Why the revision is not pinned, or ``None`` when it is (or may be)."""
        ctx = self.context
        pinned_somewhere = False
        problem = ""
        for name in ("revision", "code_revision"):
            arg = keyword(node, name)
            if arg is None:
                continue
            value = resolve_literal(ctx, arg.value)
            text = string_value(value)
            if text is not None:
                if _COMMIT.fullmatch(text):
                    return None
                pinned_somewhere = True
                problem = f"at the movable revision `{text}`"
            elif isinstance(value, cst.Name) and value.value == "None":
                pinned_somewhere = True
                problem = "at the latest revision"
            else:
                return None  # the revision comes from elsewhere: unknown
        if pinned_somewhere:
            return problem
        if any(arg.star == "**" for arg in node.args):
            return None
        return "at whatever revision is current"

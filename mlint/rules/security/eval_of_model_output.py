"""ML703 eval-of-model-output."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.training._shared_608 import argument, is_true, keyword
from mlint.walker import children

# Dotted endings of calls whose result is text a language model wrote.
_LLM_CALL_SUFFIXES = (
    "chat.completions.create",
    "completions.create",
    "ChatCompletion.create",
    "Completion.create",
    "messages.create",
    "responses.create",
    "generate_content",
    "ollama.chat",
    "ollama.generate",
)
# Text one of the model calls must contain for the file to be worth a look.
_LLM_MARKERS = ("create(", "invoke(", "generate(", "generate_content", "ollama")
_LLM_METHODS = frozenset({"invoke", "ainvoke", "generate", "agenerate", "generate_content_async"})
_SHELLS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
    }
)
_ALWAYS_SHELL = frozenset(
    {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}
)
_PANDAS_EVAL = frozenset({"pandas.eval"})
_FRAME_METHODS = frozenset({"query", "eval"})


def _attribute_chain(node: cst.BaseExpression) -> str:
    """``a.b.c`` of an attribute chain, from the last call on (``X().messages.create``)."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
    return ".".join(reversed(parts))


def _is_llm_call(call: cst.Call) -> bool:
    if _attribute_chain(call.func).endswith(_LLM_CALL_SUFFIXES):
        return True
    func = call.func
    return isinstance(func, cst.Attribute) and func.attr.value in _LLM_METHODS


@register
class EvalOfModelOutput(Rule):
    """## What it does
    Checks for text written by a language model reaching code execution in the same
    function: `eval`, `exec`, `os.system`, `os.popen`, `subprocess.*(..., shell=True)`,
    `pd.eval`, and `DataFrame.query`/`DataFrame.eval`. The text comes from an LLM call
    (`client.chat.completions.create(...)`, `client.messages.create(...)`,
    `chain.invoke(...)`, `model.generate_content(...)`, `model.generate(...)` decoded by
    a tokenizer, `ollama.chat(...)`) and is followed through assignments, attribute
    reads (`response.text`, `.content`), indexing, string methods and f-strings.

    ## Why is this bad?
    A model's output is attacker-controlled as soon as any of its input is: a prompt
    injection in a retrieved document, a web page or a user message turns "write the
    pandas expression" into `__import__("os").system(...)`. `eval` and a shell then run
    it with the server's permissions. `DataFrame.query` and `pd.eval` evaluate Python
    expressions too.

    ## Example
    ```python
    response = client.chat.completions.create(model="gpt-4o", messages=messages)
    expression = response.choices[0].message.content.strip()
    result = eval(expression)
    ```

    ## Use instead
    ```python
    response = client.chat.completions.create(model="gpt-4o", messages=messages)
    data = json.loads(response.choices[0].message.content)  # or ast.literal_eval
    result = ALLOWED_OPERATIONS[data["op"]](*data["args"])
    ```

    ## Fix safety
    No fix: what the output may do has to be decided by a human (parse, validate,
    allow-list, sandbox).

    Not reported: `ast.literal_eval`, `int()` and `float()` of model output, `model.eval()`
    (PyTorch), `subprocess.run([...])` without `shell=True`, HF `pipeline()` outputs that
    never reach a sink, values that only pass through a function of another file, and
    output used in another function (this rule follows assignments in one function).
    """

    code = "ML703"
    name = "eval-of-model-output"
    message = "Model output reaches `eval`/`exec`/a shell: parse and validate it instead"
    triggers = ("eval(", "exec(", "shell=True", "system(", "popen(", ".query(", "getoutput(")

    def visit_Module(self, node: cst.Module) -> None:
        source = self.context.source
        self._active = any(marker in source for marker in _LLM_MARKERS)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._active:
            return
        sink = self._sink(node)
        if sink is None:
            return
        value = argument(node, 0, "") if sink != "shell" else argument(node, 0, "args")
        if value is None:
            return
        ctx = self.context
        function = ctx.enclosing(cst.FunctionDef)
        scope: cst.CSTNode = function if isinstance(function, cst.FunctionDef) else ctx.module
        source = self._tainted_by(value, scope)
        if source is None:
            return
        shown = dotted_name(node.func) or ctx.code(node.func)
        self.report(
            node,
            f"`{shown}` runs text from the model call `{source}`: parse it "
            "(`json.loads`, `ast.literal_eval`) and allow-list what it may do",
        )

    def _sink(self, node: cst.Call) -> str | None:
        ctx = self.context
        func = node.func
        if isinstance(func, cst.Name) and func.value in ("eval", "exec"):
            return None if func.value in ctx.imports.names else "eval"
        resolved = ctx.imports.resolve(func)
        name = resolved.name if resolved is not None else ""
        if name in _ALWAYS_SHELL:
            return "shell"
        if name in _SHELLS:
            return "shell" if is_true(_kw(node, "shell")) else None
        if name in _PANDAS_EVAL:
            return "eval"
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _FRAME_METHODS
            and node.args
            and (resolved is None or not resolved.certain)
        ):
            return "eval"
        return None

    def _tainted_by(self, value: cst.BaseExpression, scope: cst.CSTNode) -> str | None:
        """The model call whose output ``value`` carries, through assignments in ``scope``."""
        tainted: dict[str, str] = {}
        changed = True
        rounds = 0
        while changed and rounds < 5:
            changed = False
            rounds += 1
            for item in iter_nodes(scope):
                targets: list[cst.BaseExpression] = []
                source_expr: cst.BaseExpression | None = None
                if isinstance(item, cst.Assign):
                    targets = [t.target for t in item.targets]
                    source_expr = item.value
                elif isinstance(item, (cst.AnnAssign, cst.AugAssign)) and item.value is not None:
                    targets = [item.target]
                    source_expr = item.value
                elif isinstance(item, cst.For):
                    targets = [item.target]
                    source_expr = item.iter
                elif isinstance(item, cst.NamedExpr):
                    targets = [item.target]
                    source_expr = item.value
                if source_expr is None:
                    continue
                origin = self._expression_source(source_expr, tainted)
                if origin is None:
                    continue
                for target in targets:
                    for name in iter_nodes(target):
                        if isinstance(name, cst.Name) and name.value not in tainted:
                            tainted[name.value] = origin
                            changed = True
        return self._expression_source(value, tainted)

    def _expression_source(self, expr: cst.BaseExpression, tainted: dict[str, str]) -> str | None:
        stack: list[cst.CSTNode] = [expr]
        while stack:
            item = stack.pop()
            if isinstance(item, cst.Call):
                name = dotted_name(item.func) or ""
                if name in _SANITISERS:
                    continue  # a number or a Python literal: no code left
                if _is_llm_call(item):
                    return name or _attribute_chain(item.func)
            elif isinstance(item, cst.Name):
                if item.value in tainted:
                    return tainted[item.value]
                continue
            elif isinstance(item, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
                continue
            stack.extend(reversed(tuple(children(item))))
        return None


_SANITISERS = frozenset({"ast.literal_eval", "int", "float", "bool", "len"})


def _kw(node: cst.Call, name: str) -> cst.BaseExpression | None:
    arg = keyword(node, name)
    return None if arg is None else arg.value

"""ML303 `sync-client-in-async`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.concurrency._shared import in_async_function
from mlint.walker import children as child_nodes

# Synchronous client constructor -> the asynchronous client to use instead.
_SYNC_CLIENTS: dict[str, str] = {
    "openai.OpenAI": "openai.AsyncOpenAI",
    "openai.AzureOpenAI": "openai.AsyncAzureOpenAI",
    "anthropic.Anthropic": "anthropic.AsyncAnthropic",
    "anthropic.AnthropicBedrock": "anthropic.AsyncAnthropicBedrock",
    "anthropic.AnthropicVertex": "anthropic.AsyncAnthropicVertex",
    "httpx.Client": "httpx.AsyncClient",
    "requests.Session": "httpx.AsyncClient",
    "requests.sessions.Session": "httpx.AsyncClient",
}

_HTTP_FUNCTIONS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})

_SYNC_HTTP_MODULES: dict[str, str] = {"requests": "httpx.AsyncClient", "httpx": "httpx.AsyncClient"}


@register
class SyncClientInAsync(Rule):
    """## What it does
    Checks for calls on a synchronous LLM or HTTP client (`openai.OpenAI`,
    `anthropic.Anthropic`, `httpx.Client`, `requests`) inside `async def`.

    ## Why is this bad?
    A synchronous request blocks the whole event loop until the response arrives: every
    other coroutine (other requests, a web server's handlers) stops for its full latency.

    ## Example
    ```python
    client = openai.OpenAI()

    async def ask(prompt):
        return client.chat.completions.create(model="gpt-4o", messages=prompt)
    ```

    ## Use instead
    ```python
    client = openai.AsyncOpenAI()

    async def ask(prompt):
        return await client.chat.completions.create(model="gpt-4o", messages=prompt)
    ```

    ## Fix safety
    No fix: the client has to change where it is built, and every call gains an `await`.
    A client is recognised by its constructor in the same file; a name that the file also
    binds to anything else, or that the async function takes as a parameter, is skipped.

    ## Pattern
    `mlint.patterns.concurrency.to_thread`
    """

    code = "ML303"
    name = "sync-client-in-async"
    message = (
        "Synchronous client call blocks the event loop inside `async def`; use the async client"
    )
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.to_thread"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._clients: dict[str, str] | None = None

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        if isinstance(ctx.parent, cst.Await) or not in_async_function(ctx):
            return
        dotted = dotted_name(node.func)
        if dotted is None or "." not in dotted:
            return
        resolved = ctx.imports.resolve(node.func)
        if resolved is not None and resolved.certain:
            module, _, function = resolved.name.rpartition(".")
            if module in _SYNC_HTTP_MODULES and function in _HTTP_FUNCTIONS:
                self.report(
                    node,
                    f"`{dotted}()` blocks the event loop inside `async def`; "
                    f"use `{_SYNC_HTTP_MODULES[module]}` and `await` it",
                )
                return
        parts = dotted.split(".")
        key = ".".join(parts[:2]) if parts[0] == "self" else parts[0]
        if len(parts) < (3 if parts[0] == "self" else 2):
            return
        replacement = self._client_names().get(key)
        if replacement is None:
            return
        enclosing = ctx.enclosing(cst.FunctionDef)
        if isinstance(enclosing, cst.FunctionDef) and key in _parameter_names(enclosing):
            return
        self.report(
            node,
            f"`{dotted}()` is a synchronous client call that blocks the event loop inside "
            f"`async def`; use `{replacement}` and `await` it",
        )

    def _client_names(self) -> dict[str, str]:
        """Names (and `self.attr`s) bound only to synchronous client constructors in this file."""
        if self._clients is None:
            clients: dict[str, str] = {}
            others: set[str] = set()
            imports = self.context.imports
            for target, value in _file_bindings(self.context.module):
                key = dotted_name(target) if isinstance(target, cst.BaseExpression) else None
                if key is None or key.count(".") > (1 if key.startswith("self.") else 0):
                    continue
                constructor = imports.resolve(value.func) if isinstance(value, cst.Call) else None
                if (
                    constructor is not None
                    and constructor.certain
                    and (constructor.name in _SYNC_CLIENTS)
                ):
                    clients[key] = _SYNC_CLIENTS[constructor.name]
                else:
                    others.add(key)
            self._clients = {k: v for k, v in clients.items() if k not in others}
        return self._clients


def _parameter_names(function: cst.FunctionDef) -> frozenset[str]:
    params = function.params
    return frozenset(
        p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
    )


def _file_bindings(
    module: cst.Module,
) -> list[tuple[cst.BaseExpression, cst.BaseExpression | None]]:
    """Every ``(target, value)`` of an assignment or ``with ... as`` anywhere in the file."""
    out: list[tuple[cst.BaseExpression, cst.BaseExpression | None]] = []
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign):
            out.extend((t.target, node.value) for t in node.targets)
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            out.append((node.target, getattr(node, "value", None)))
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            name = node.asname.name
            if isinstance(name, cst.BaseExpression):
                out.append((name, node.item))
        elif isinstance(node, (cst.For, cst.CompFor)):
            out.append((node.target, None))
        stack.extend(child_nodes(node))
    return out

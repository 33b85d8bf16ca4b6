"""Pillar 3: async (ML3xx)."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.analysis.origin import (
    import_edit,
    module_local_name,
    names_bound,
    names_read,
    statement_bindings,
)
from mlint.rule import FileContext, Rule, register
from mlint.types import Applicability, Edit, Fix, FixAvailability
from mlint.walker import children as child_nodes

# Awaiting these is sequencing on purpose: rate limits, locks, queues, streams, lifecycles.
_SEQUENCING_CALLS = frozenset(
    {
        "asyncio.sleep",
        "anyio.sleep",
        "trio.sleep",
        "asyncio.wait",
        "asyncio.wait_for",
        "asyncio.gather",
        "asyncio.shield",
    }
)
_SEQUENCING_METHODS = frozenset(
    {
        "sleep",
        "acquire",
        "release",
        "wait",
        "wait_for",
        "join",
        "put",
        "get_nowait",
        "read",
        "readline",
        "readexactly",
        "readuntil",
        "write",
        "drain",
        "send",
        "recv",
        "receive",
        "send_text",
        "send_json",
        "send_bytes",
        "receive_text",
        "receive_json",
        "receive_bytes",
        "close",
        "aclose",
        "commit",
        "rollback",
        "flush",
        "start",
        "stop",
        "shutdown",
        "connect",
        "disconnect",
        "cancel",
    }
)
# Words of a receiver's name that mean one stateful object: calls on it must not overlap.
_STATEFUL_WORDS = frozenset(
    {
        "session",
        "conn",
        "connection",
        "cursor",
        "cur",
        "db",
        "database",
        "tx",
        "txn",
        "transaction",
        "lock",
        "sem",
        "semaphore",
        "queue",
        "q",
        "stream",
        "reader",
        "writer",
        "ws",
        "websocket",
        "socket",
        "sock",
        "channel",
        "page",
        "browser",
        "file",
        "f",
        "fp",
    }
)
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
_BLOCKING_CALLS = frozenset(
    {
        "time.sleep",
        "torch.load",
        "torch.save",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "os.system",
    }
)
# Modules whose conventional alias counts even without an import (`torch`, `pd`).
_CONVENTIONAL_OK = frozenset({"torch", "pandas"})
_MODEL_RECEIVERS = frozenset({"pipe", "pipeline", "llm", "encoder", "embedder"})
_NESTED_LOOP_CALLS = frozenset({"asyncio.run", "anyio.run"})


def in_async_function(context: FileContext) -> bool:
    """Whether the innermost function around the current node is an ``async def``."""
    function = context.enclosing(cst.FunctionDef, cst.Lambda)
    return isinstance(function, cst.FunctionDef) and function.asynchronous is not None


def _is_stateful(receiver: str) -> bool:
    last = receiver.rpartition(".")[2].lower().strip("_")
    return any(word in _STATEFUL_WORDS for word in last.split("_"))


def _receiver(call: cst.Call, context: FileContext) -> str | None:
    """The dotted receiver of a method call, ``None`` for plain and module-level functions."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    receiver = dotted_name(func.value)
    if receiver is None:
        return "<expression>"
    if receiver.partition(".")[0] in context.imports.names:
        return None  # `asyncio.to_thread(...)`, `client_module.fetch(...)`
    return receiver


def _sequencing(call: cst.Call, context: FileContext) -> bool:
    """Whether awaiting ``call`` orders work on purpose (sleep, lock, queue, stream, lifecycle)."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in _SEQUENCING_METHODS:
        return True
    if context.imports.qualified(func) in _SEQUENCING_CALLS:
        return True
    receiver = _receiver(call, context)
    return receiver is not None and _is_stateful(receiver)


def _asyncio_name(context: FileContext) -> tuple[str, list[Edit]]:
    """The local name of ``asyncio`` and the edit importing it when the file does not."""
    local = module_local_name(context.imports, "asyncio")
    if local is not None:
        return local, []
    return "asyncio", [import_edit(context, "import asyncio")]


def _whole_lines(context: FileContext, node: cst.CSTNode) -> Edit:
    """An edit deleting the lines ``node`` occupies, indentation and newline included."""
    start, end = context.span(node)
    source = context.source
    line_start = source.rfind("\n", 0, start) + 1
    newline = source.find("\n", end)
    return Edit(line_start, len(source) if newline == -1 else newline + 1, "")


@dataclass(frozen=True)
class _LoopScan:
    awaits: tuple[cst.Await, ...]
    exits: bool  # break, return or yield somewhere in the body
    guarded: bool  # `async with` / `async for` inside: ordering through a resource


def _scan_loop_body(body: cst.BaseSuite) -> _LoopScan:
    awaits: list[cst.Await] = []
    exits = guarded = False
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, (cst.Break, cst.Return, cst.Yield)):
            exits = True
        elif isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None:
            guarded = True
        elif isinstance(node, cst.Await):
            awaits.append(node)
        stack.extend(reversed(tuple(child_nodes(node))))
    return _LoopScan(tuple(awaits), exits, guarded)


@register
class AwaitInLoop(Rule):
    """## What it does
    Checks for a plain `for` loop inside `async def` that awaits, one iteration at a time,
    a call whose arguments depend only on the loop variable and names the loop does not
    change.

    ## Why is this bad?
    Each `await` waits for the previous request to finish: a hundred LLM or HTTP calls of
    one second take a hundred seconds instead of about one. The calls are independent, so
    they can run together with `asyncio.gather` (bounded, to respect rate limits).

    ## Example
    ```python
    async def embed_all(texts):
        out = []
        for text in texts:
            out.append(await embed(text))
        return out
    ```

    ## Use instead
    ```python
    async def embed_all(texts):
        out = list(await asyncio.gather(*(embed(text) for text in texts)))
        return out
    ```

    ## Fix safety
    Loops that `break`, `return` or `yield`, that also await `asyncio.sleep`, a lock, a
    queue or a stream, that use `async with`/`async for`, or whose call uses a value the
    loop body assigns (a loop-carried dependency) or a stateful receiver (a session, a
    connection, a cursor) are not reported. The fix, offered only for `out = []` directly
    followed by `for x in xs: out.append(await f(x))`, is unsafe: the calls then overlap,
    which changes the order of their side effects and may exceed a rate limit (use
    `mlint.patterns.concurrency.gather_bounded` to cap the concurrency).

    ## Pattern
    `mlint.patterns.concurrency.gather_bounded`
    """

    code = "ML301"
    name = "await-in-loop"
    message = (
        "`await` inside a `for` loop runs independent calls one at a time; use `asyncio.gather`"
    )
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.gather_bounded"

    def visit_For(self, node: cst.For) -> None:
        ctx = self.context
        if node.asynchronous is not None or node.orelse is not None:
            return
        if not in_async_function(ctx):
            return
        loop_names = names_bound(node.target)
        if not loop_names:
            return
        scan = _scan_loop_body(node.body)
        if scan.exits or scan.guarded or not scan.awaits:
            return
        calls = [a.expression for a in scan.awaits if isinstance(a.expression, cst.Call)]
        if any(_sequencing(call, ctx) for call in calls):
            return
        changed = statement_bindings(node.body) - loop_names
        for awaited in scan.awaits:
            call = awaited.expression
            if not isinstance(call, cst.Call):
                continue
            reads = names_read(call)
            if reads & loop_names and not reads & changed:
                self.report(
                    awaited,
                    f"`await {ctx.code(call.func)}(...)` in a `for` loop runs one call at a "
                    "time; run them together with `asyncio.gather`",
                    fix=self._fix(node, awaited),
                )
                return

    def _fix(self, loop: cst.For, awaited: cst.Await) -> Fix | None:
        """``out = []; for x in xs: out.append(await f(x))`` -> one gather, else ``None``."""
        ctx = self.context
        if not isinstance(loop.body, cst.IndentedBlock) or len(loop.body.body) != 1:
            return None
        line = loop.body.body[0]
        if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            return None
        if loop.body.header.comment or line.leading_lines:
            return None
        expr = line.body[0]
        if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
            return None
        append = expr.value
        if not (
            isinstance(append.func, cst.Attribute)
            and append.func.attr.value == "append"
            and isinstance(append.func.value, cst.Name)
            and len(append.args) == 1
            and append.args[0].keyword is None
            and append.args[0].star == ""
            and append.args[0].value is awaited
        ):
            return None
        out = append.func.value.value
        previous = self._previous_statement(loop)
        if not (isinstance(previous, cst.SimpleStatementLine) and len(previous.body) == 1):
            return None
        assign = previous.body[0]
        if not (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and assign.targets[0].target.value == out
            and isinstance(assign.value, cst.List)
            and not assign.value.elements
        ):
            return None
        if any(c.comment for c in (*loop.leading_lines,)) or previous.trailing_whitespace.comment:
            return None
        if out in names_read(awaited) or out in names_read(loop.iter):
            return None
        aio, imports = _asyncio_name(ctx)
        generator = (
            f"{ctx.code(awaited.expression)} for {ctx.code(loop.target)} in {ctx.code(loop.iter)}"
        )
        text = f"{out} = list(await {aio}.gather(*({generator})))"
        moved = line.trailing_whitespace.comment
        if moved is not None and previous.trailing_whitespace.comment is None:
            text += f"  {moved.value}"  # keep the loop body's comment
        elif moved is not None:
            return None
        return self.make_fix(
            [ctx.replace(assign, text), _whole_lines(ctx, loop), *imports],
            Applicability.UNSAFE,
            "Gather the calls with `asyncio.gather`",
        )

    def _previous_statement(self, statement: cst.CSTNode) -> cst.CSTNode | None:
        parent = self.context.parent
        body = parent.body if isinstance(parent, (cst.IndentedBlock, cst.Module)) else ()
        for index, item in enumerate(body):
            if item is statement:
                return body[index - 1] if index > 0 else None
        return None


@dataclass(frozen=True)
class _AwaitedAssignment:
    line: cst.SimpleStatementLine
    assign: cst.Assign
    target: str
    call: cst.Call
    reads: frozenset[str]
    receiver: str | None


@register
class SequentialAwaits(Rule):
    """## What it does
    Checks for two or more consecutive statements that each assign the result of awaiting
    an independent call (`a = await f()` then `b = await g()`), inside `async def`.

    ## Why is this bad?
    The second request only starts once the first has finished, so the latencies add up.
    When no call uses a result of an earlier one, they can run together.

    ## Example
    ```python
    async def load(user_id):
        profile = await fetch_profile(user_id)
        history = await fetch_history(user_id)
        return profile, history
    ```

    ## Use instead
    ```python
    async def load(user_id):
        profile, history = await asyncio.gather(fetch_profile(user_id), fetch_history(user_id))
        return profile, history
    ```

    ## Fix safety
    A run ends at a call that reads a name bound by an earlier await, at a second call on
    the same receiver, at a stateful receiver (a session, a connection, a cursor, a lock, a
    queue, a stream) and at awaits that order work on purpose (`asyncio.sleep`, `close`,
    `commit`, ...). Awaits whose result is not assigned are never reported: they are run
    for their side effects, whose order matters. The fix is unsafe: the calls overlap, and
    their side effects may depend on each other in ways the code does not show.

    ## Pattern
    `mlint.patterns.concurrency.gather_bounded`
    """

    code = "ML302"
    name = "sequential-awaits"
    message = "Independent `await`s run one after another; run them together with `asyncio.gather`"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.gather_bounded"

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if not in_async_function(self.context):
            return
        run: list[_AwaitedAssignment] = []
        for statement in node.body:
            item = self._candidate(statement)
            if item is None or self._conflicts(run, item):
                self._flush(run)
                run = [item] if item is not None else []
            else:
                run.append(item)
        self._flush(run)

    def _candidate(self, statement: cst.BaseStatement) -> _AwaitedAssignment | None:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return None
        assign = statement.body[0]
        if not (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and isinstance(assign.value, cst.Await)
            and isinstance(assign.value.expression, cst.Call)
        ):
            return None
        call = assign.value.expression
        if _sequencing(call, self.context):
            return None
        if any(isinstance(n, cst.Await) for n in _descendants(call)):
            return None
        target = assign.targets[0].target
        assert isinstance(target, cst.Name)
        return _AwaitedAssignment(
            statement, assign, target.value, call, names_read(call), _receiver(call, self.context)
        )

    @staticmethod
    def _conflicts(run: list[_AwaitedAssignment], item: _AwaitedAssignment) -> bool:
        for earlier in run:
            if earlier.target in item.reads or earlier.target == item.target:
                return True
            if item.receiver is not None and item.receiver == earlier.receiver:
                return True
            if item.receiver == "<expression>" or earlier.receiver == "<expression>":
                return True
        return False

    def _flush(self, run: list[_AwaitedAssignment]) -> None:
        if len(run) < 2:
            return
        names = ", ".join(f"`{item.target}`" for item in run)
        self.report(
            run[0].assign,
            f"{len(run)} independent `await`s ({names}) run one after another; "
            "run them together with `asyncio.gather`",
            fix=self._fix(run),
        )

    def _fix(self, run: list[_AwaitedAssignment]) -> Fix | None:
        ctx = self.context
        for index, item in enumerate(run):
            if index and item.line.trailing_whitespace.comment:
                return None  # deleting the line would drop the comment
            if index and item.line.leading_lines:
                return None
        aio, imports = _asyncio_name(ctx)
        targets = ", ".join(item.target for item in run)
        calls = ", ".join(ctx.code(item.call) for item in run)
        edits = [ctx.replace(run[0].assign, f"{targets} = await {aio}.gather({calls})")]
        edits.extend(_whole_lines(ctx, item.line) for item in run[1:])
        return self.make_fix(
            [*edits, *imports], Applicability.UNSAFE, "Gather the awaits with `asyncio.gather`"
        )


def _descendants(node: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    stack = list(child_nodes(node))
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(child_nodes(item))
    return out


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


@register
class BlockingCallInAsync(Rule):
    """## What it does
    Checks for blocking calls inside `async def`: `time.sleep`, `torch.load`,
    `*.from_pretrained`, `pd.read_*`, `subprocess.run`, and a model's `.generate()` or
    `.encode()`.

    ## Why is this bad?
    While a coroutine runs a blocking call, the event loop runs nothing else: loading a
    checkpoint or generating text for seconds freezes every other request.

    ## Example
    ```python
    async def handle(request):
        time.sleep(1)
        model = AutoModel.from_pretrained("bert-base-uncased")
    ```

    ## Use instead
    ```python
    async def handle(request):
        await asyncio.sleep(1)
        model = await asyncio.to_thread(AutoModel.from_pretrained, "bert-base-uncased")
    ```

    ## Fix safety
    Only `time.sleep(x)` used as a statement has a fix, `await asyncio.sleep(x)`; it is
    unsafe because other coroutines now run during the pause, which may be exactly what the
    blocking sleep prevented. Other calls need `asyncio.to_thread` and have no fix. Awaited
    calls (an async API of the same name) and calls inside a nested plain `def` or `lambda`
    (which run elsewhere, e.g. in `to_thread`) are not reported.

    ## Pattern
    `mlint.patterns.concurrency.to_thread`
    """

    code = "ML304"
    name = "blocking-call-in-async"
    message = "Blocking call inside `async def` stalls the event loop; use `asyncio.to_thread`"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.to_thread"

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        parent = ctx.parent
        if isinstance(parent, cst.Await) or not in_async_function(ctx):
            return
        blocking = self._blocking_name(node)
        if blocking is None:
            return
        if blocking == "time.sleep":
            fix = None
            if isinstance(parent, cst.Expr):
                aio, imports = _asyncio_name(ctx)
                fix = self.make_fix(
                    [ctx.replace(node.func, f"await {aio}.sleep"), *imports],
                    Applicability.UNSAFE,
                    "Use `await asyncio.sleep(...)`",
                )
            self.report(
                node,
                "`time.sleep()` blocks the event loop inside `async def`; "
                "use `await asyncio.sleep()`",
                fix=fix,
            )
            return
        self.report(
            node,
            f"`{blocking}()` blocks the event loop inside `async def`; "
            "run it with `await asyncio.to_thread(...)`",
        )

    def _blocking_name(self, node: cst.Call) -> str | None:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "from_pretrained":
                return self.context.code(func)
            if method in ("generate", "encode"):
                receiver = dotted_name(func.value)
                last = (receiver or "").rpartition(".")[2].lower()
                words = last.split("_")
                if last.endswith("model") or words[-1] in _MODEL_RECEIVERS:
                    return f"{receiver}.{method}"
        resolved = self.context.imports.resolve(func)
        if resolved is None:
            return None
        head = resolved.name.partition(".")[0]
        if not (resolved.certain or head in _CONVENTIONAL_OK):
            return None
        if resolved.name in _BLOCKING_CALLS:
            return resolved.name
        module, _, function = resolved.name.rpartition(".")
        if module == "pandas" and function.startswith("read_"):
            return resolved.name
        return None


@register
class NestedEventLoop(Rule):
    """## What it does
    Checks for `asyncio.run(...)` or `loop.run_until_complete(...)` inside `async def`.

    ## Why is this bad?
    An event loop is already running there: `asyncio.run` raises `RuntimeError: asyncio.run()
    cannot be called from a running event loop`, and `run_until_complete` raises
    `This event loop is already running`. Patching it with `nest_asyncio` hides a design
    problem: the coroutine should simply be awaited.

    ## Example
    ```python
    async def main():
        result = asyncio.run(fetch())
    ```

    ## Use instead
    ```python
    async def main():
        result = await fetch()
    ```

    ## Fix safety
    No fix: whether the caller should await the coroutine or become synchronous is a
    design decision. A nested plain `def` inside `async def` is not async context.

    ## Pattern
    `mlint.patterns.concurrency.run_sync`
    """

    code = "ML305"
    name = "nested-event-loop"
    message = "Starting an event loop inside `async def` fails at runtime; `await` the coroutine"
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.run_sync"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        is_run_until_complete = (
            isinstance(func, cst.Attribute) and func.attr.value == "run_until_complete"
        )
        if not is_run_until_complete and self.context.imports.qualified(func) not in (
            _NESTED_LOOP_CALLS
        ):
            return
        if not in_async_function(self.context):
            return
        name = "run_until_complete" if is_run_until_complete else self.context.code(func)
        self.report(
            node,
            f"`{name}()` inside `async def` starts a second event loop and fails at runtime; "
            "`await` the coroutine instead",
        )

"""ML306 `blocking-inference-in-async`: the rule and the helpers only it uses."""

from __future__ import annotations

from typing import Any, ClassVar

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.callgraph import FunctionIndex, is_generator
from mlint.analysis.imports import dotted_name
from mlint.analysis.modules import is_module_constructor
from mlint.rule import FileContext, Rule, register
from mlint.rules.concurrency._shared import _asyncio_name, model_receiver
from mlint.types import Applicability, Fix, FixAvailability

# Methods whose work is a model's forward pass, an embedding or a vector search.
_MODEL_METHODS = frozenset(
    {
        "predict",
        "predict_proba",
        "predict_log_proba",
        "get_embeddings",
        "get_text_embedding",
        "get_text_embeddings",
        "get_query_embedding",
        "embed_query",
        "embed_documents",
        "similarity_search",
        "similarity_search_with_score",
        "similarity_search_with_relevance_scores",
        "max_marginal_relevance_search",
        "ingest",
        "ingest_doc_paths",
        "ingest_docs",
        "invoke",
    }
)
# Methods that run a model only when the receiver was built as one in this file.
_MODEL_OBJECT_METHODS = frozenset(
    {"generate", "encode", "predict", "transcribe", "forward", "embed"}
)
_MODEL_FACTORIES = frozenset(
    {
        "transformers.pipeline",
        "sentence_transformers.SentenceTransformer",
        "sentence_transformers.CrossEncoder",
        "whisper.load_model",
        "vllm.LLM",
    }
)
# Blocking work ML304 reports where it is written; here it counts inside called functions.
_BLOCKING_CALLS = frozenset(
    {
        "time.sleep",
        "torch.load",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "os.system",
        "urllib.request.urlopen",
        "huggingface_hub.snapshot_download",
        "huggingface_hub.hf_hub_download",
    }
)
_SYNC_HTTP_MODULES = frozenset({"requests", "httpx"})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "request"})
# Async entry points that run before the server takes requests: blocking there harms no client.
_STARTUP_NAMES = frozenset({"lifespan", "startup", "on_startup", "startup_event"})
_DEPTH = 3


def _twins(name: str) -> tuple[str, ...]:
    return (f"a{name}", f"{name}_async", f"async_{name}", f"a_{name}")


def _unconditional_calls(body: cst.BaseSuite) -> list[cst.Call]:
    """Calls that run whenever the body runs: not under an `if`, a loop or a `try`."""
    calls: list[cst.Call] = []
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        if isinstance(statement, cst.With):
            calls.extend(_unconditional_calls(statement.body))
        elif isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            calls.extend(n for n in iter_nodes(statement) if isinstance(n, cst.Call))
    return calls


@register
class BlockingInferenceInAsync(Rule):
    """## What it does
    Checks for synchronous model work called directly inside `async def`: calling a model
    built in the file (an `nn.Module`, a Hugging Face `pipeline`, a `SentenceTransformer`),
    `.predict*`, `.get_embeddings`/`.embed_*`, a vector store's `.similarity_search`,
    document ingestion, the synchronous twin of an async method of the file
    (`self.query()` inside `aquery`, `self.respond()` where `respond_async` exists), and
    functions of the same file that do such work, load a model, make a blocking HTTP
    request, sleep, or always call such a synchronous twin.

    ## Why is this bad?
    A request handler that runs inference on the event loop serves one client at a time:
    while the model computes, no other request is accepted, no stream advances and health
    checks time out. Run the work in a thread (`await asyncio.to_thread(fn, *args)`, or
    `await run_in_threadpool(fn, *args)` in Starlette/FastAPI) or call the async API.

    Not reported: awaited calls, calls inside a nested plain `def` or `lambda` (they run
    where they are passed, e.g. to `to_thread`), functions passed rather than called
    (`to_thread(model.predict, x)`), generator functions (their body runs when iterated),
    and startup/lifespan handlers, which run before any client is served. ML304 reports
    `torch.load`, `from_pretrained`, `.generate()` and `time.sleep` written directly.

    ## Example
    ```python
    @app.post("/embed")
    async def embed(request: Request):
        texts = (await request.json())["texts"]
        return {"vectors": encoder.get_embeddings(texts)}
    ```

    ## Use instead
    ```python
    @app.post("/embed")
    async def embed(request: Request):
        texts = (await request.json())["texts"]
        return {"vectors": await asyncio.to_thread(encoder.get_embeddings, texts)}
    ```

    ## Fix safety
    A call used as a statement, an assigned value or a returned value becomes
    `await asyncio.to_thread(fn, *args)`. The fix is unsafe: the model now runs in another
    thread, concurrently with other requests, which some models and clients do not allow
    (guard them with a lock or a one-thread executor). The synchronous twin of an async
    method gets no fix: await the async method instead.

    ## Pattern
    `mlint.patterns.concurrency.to_thread`
    """

    code = "ML306"
    name = "blocking-inference-in-async"
    message = "Synchronous model work inside `async def` blocks the event loop"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.to_thread"
    default: ClassVar[bool] = True

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        self._index: FunctionIndex | None = None
        self._models: frozenset[str] | None = None
        self._blocking: dict[int, str | None] = {}

    @property
    def index(self) -> FunctionIndex:
        if self._index is None:
            self._index = FunctionIndex.of(self.context.module)
        return self._index

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        function = ctx.enclosing(cst.FunctionDef, cst.Lambda)
        if not isinstance(function, cst.FunctionDef) or function.asynchronous is None:
            return
        parent = ctx.parent
        if isinstance(parent, cst.Await) or self._startup(function):
            return
        twin = self._twin(node)
        if twin is not None:
            self.report(
                node,
                f"`{ctx.code(node.func)}()` is the synchronous twin of `{twin}`: inside "
                f"`async def` it blocks the event loop; `await` the async version or run it "
                "with `await asyncio.to_thread(...)`",
            )
            return
        reason = self._direct(node) or self._through_callee(node, function)
        if reason is None:
            return
        self.report(
            node,
            f"`{ctx.code(node.func)}()` {reason} inside `async def`, blocking the event loop "
            "for every client; run it with `await asyncio.to_thread(...)` "
            "(or `run_in_threadpool`)",
            fix=self._fix(node, parent),
        )

    def _startup(self, function: cst.FunctionDef) -> bool:
        if function.name.value in _STARTUP_NAMES:
            return True
        for decorator in function.decorators:
            text = self.context.code(decorator.decorator)
            if "startup" in text or "lifespan" in text:
                return True
        return False

    def _twin(self, call: cst.Call) -> str | None:
        """The async twin of the called method when this file defines or is inside one."""
        func = call.func
        name = func.attr.value if isinstance(func, cst.Attribute) else None
        if isinstance(func, cst.Name):
            name = func.value
        if name is None or name in self.index.async_names:
            return None
        enclosing = {
            n.name.value
            for n in self.context.ancestors
            if isinstance(n, cst.FunctionDef) and n.asynchronous is not None
        }
        for twin in _twins(name):
            if twin in enclosing or twin in self.index.async_names:
                target = self.index.callee(call, self._function())
                if target is not None and is_generator(target):
                    return None
                return twin
        return None

    def _function(self) -> cst.FunctionDef | None:
        function = self.context.enclosing(cst.FunctionDef)
        # `self.method()` inside a nested async def still refers to the outer method's class.
        for node in reversed(self.context.ancestors):
            if isinstance(node, cst.FunctionDef) and id(node) in self.index.owner:
                return node
        return function if isinstance(function, cst.FunctionDef) else None

    def _direct(self, call: cst.Call) -> str | None:
        """Why ``call`` itself is model work, or ``None``."""
        func = call.func
        target = dotted_name(func)
        if target is not None and target in self._model_objects():
            return "runs a model's forward pass"
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        receiver = dotted_name(func.value)
        if method in ("generate", "encode") and model_receiver(receiver):
            return None  # ML304's
        if method in _MODEL_OBJECT_METHODS and receiver in self._model_objects():
            return f"runs the model's `.{method}()`"
        if method in _MODEL_METHODS or method.startswith(("predict_", "embed_")):
            if receiver is not None and receiver.partition(".")[0] in self.context.imports.names:
                return None  # a module function, not a model object's method
            return f"runs `.{method}()` (model inference, embedding or vector search)"
        return None

    def _model_objects(self) -> frozenset[str]:
        """Module-level names and ``self.x`` attributes assigned a model in this file."""
        if self._models is None:
            ctx = self.context
            found: set[str] = set()
            for node in iter_nodes(ctx.module, into_scopes=True):
                if not isinstance(node, cst.Assign) or not isinstance(node.value, cst.Call):
                    continue
                if not self._builds_model(node.value):
                    continue
                for target in node.targets:
                    name = dotted_name(target.target)
                    if name is not None and (name.count(".") == 0 or name.startswith("self.")):
                        found.add(name)
            self._models = frozenset(found)
        return self._models

    def _builds_model(self, call: cst.Call) -> bool:
        ctx = self.context
        if is_module_constructor(call, ctx.imports, ctx.classes):
            return True
        resolved = ctx.imports.resolve(call.func)
        return resolved is not None and resolved.certain and resolved.name in _MODEL_FACTORIES

    def _through_callee(self, call: cst.Call, caller: cst.FunctionDef) -> str | None:
        target = self.index.callee(call, self._function())
        if target is None or target.asynchronous is not None or is_generator(target):
            return None
        reason = self._blocks(target, _DEPTH)
        return None if reason is None else f"{reason} (in `{target.name.value}`)"

    def _blocks(self, function: cst.FunctionDef, depth: int) -> str | None:
        """What blocking work ``function`` does in its own body or its same-file callees."""
        key = id(function)
        if key in self._blocking:
            return self._blocking[key]
        self._blocking[key] = None  # recursion guard
        reason = None
        always = {id(c) for c in _unconditional_calls(function.body)}
        for node in iter_nodes(function.body):
            if isinstance(node, cst.Call):
                reason = self._blocking_call(node, function, depth, id(node) in always)
                if reason is not None:
                    break
        self._blocking[key] = reason
        return reason

    def _blocking_call(
        self, call: cst.Call, function: cst.FunctionDef, depth: int, always: bool
    ) -> str | None:
        direct = self._direct(call)
        if direct is not None:
            return direct
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "from_pretrained":
            return "loads a model"
        name = func.attr.value if isinstance(func, cst.Attribute) else None
        name = func.value if isinstance(func, cst.Name) else name
        if always and name is not None and name not in self.index.async_names:
            twin = next((t for t in _twins(name) if t in self.index.async_names), None)
            if twin is not None:
                return f"calls `{name}()`, the synchronous twin of `{twin}`"
        resolved = self.context.imports.resolve(func)
        if resolved is not None and resolved.certain:
            name = resolved.name
            head, _, last = name.rpartition(".")
            if name in _BLOCKING_CALLS:
                return f"calls `{name}()`"
            if head in _SYNC_HTTP_MODULES and last in _HTTP_VERBS:
                return "makes a blocking HTTP request"
            if name in _MODEL_FACTORIES:
                return "loads a model"
        if depth <= 1:
            return None
        target = self.index.callee(call, function)
        if target is None or target.asynchronous is not None or is_generator(target):
            return None
        return self._blocks(target, depth - 1)

    def _fix(self, call: cst.Call, parent: cst.CSTNode | None) -> Fix | None:
        ctx = self.context
        statement_like = isinstance(parent, (cst.Expr, cst.Return)) or (
            isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is call
        )
        if not statement_like:
            return None
        asyncio_name = _asyncio_name(ctx)
        if asyncio_name is None:
            return None
        aio, imports = asyncio_name
        func = ctx.code(call.func)
        inner = ctx.code(call)[len(func) :].strip()[1:-1].strip()
        arguments = f", {inner}" if inner else ""
        text = f"await {aio}.to_thread({func}{arguments})"
        return self.make_fix(
            [ctx.replace(call, text), *imports],
            Applicability.UNSAFE,
            "Run it in a thread with `await asyncio.to_thread(...)`",
        )

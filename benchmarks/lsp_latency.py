"""Latency of `mlint server` from `didChange` to `publishDiagnostics` on a 2,000-line file.

Run: `python benchmarks/lsp_latency.py [--lines 2000] [--runs 10]`. The file is real ML code
(the ML501 fixture and a timm-style module) repeated to the size asked for, so diagnostics
are published on every change. The figure includes the server's 200 ms debounce.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient  # type: ignore[attr-defined]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "fixtures" / "ML501" / "bad.py").read_text(encoding="utf-8")


def document(lines: int) -> str:
    """``SAMPLE`` repeated (its names suffixed so each copy stands alone) to ``lines`` lines."""
    body = SAMPLE.split("\n", 2)[2]  # the imports once, at the top
    header = "import torch\nfrom torch import nn\n"
    chunks = [header]
    count, copy = 2, 0
    while count < lines:
        chunk = body.replace("Encoder", f"Encoder{copy}").replace("def ", f"def c{copy}_")
        chunks.append(chunk)
        count += chunk.count("\n")
        copy += 1
    return "".join(chunks)


async def measure(lines: int, runs: int) -> list[float]:
    client = BaseLanguageClient("mlint-latency", "1")
    published: asyncio.Queue[lsp.PublishDiagnosticsParams] = asyncio.Queue()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # type: ignore[untyped-decorator]
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published.put_nowait(params)

    await client.start_io(sys.executable, "-m", "mlint", "server")
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    client.initialized(lsp.InitializedParams())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.py"
        text = document(lines)
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        await asyncio.wait_for(published.get(), 120)
        timings = []
        for version in range(2, runs + 2):
            text = text + f"\nextra_{version} = {version}\n"
            start = time.perf_counter()
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
            await asyncio.wait_for(published.get(), 120)
            timings.append(time.perf_counter() - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    timings = asyncio.run(measure(args.lines, args.runs))
    print(
        f"didChange -> publishDiagnostics on {args.lines} lines, {args.runs} changes: "
        f"median {statistics.median(timings) * 1000:.0f} ms, "
        f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms "
        "(includes the 200 ms debounce)"
    )


if __name__ == "__main__":
    main()

"""Reading LSP messages from a byte stream, surviving malformed framing.

pygls' own reader trusts every ``Content-Length``: a huge one crashes it (``OverflowError``) or
makes it wait for bytes that never come, a non-numeric one makes it drop every later message.
This reader rejects such a header with one log line, skips to the next ``Content-Length``
header and keeps serving.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("mlint.lsp")

# Larger than any source text an editor sends; a bigger claim is a broken client or garbage.
MAX_CONTENT_LENGTH = 128 * 1024 * 1024
MAX_HEADER_LINE = 64 * 1024
_CONTENT_LENGTH = b"content-length:"


def content_length(value: bytes) -> int | str:
    """The body length a header value announces, or why it is rejected."""
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        return f"a bad Content-Length header ({text[:40]!r})"
    if len(text) > 12 or int(text) > MAX_CONTENT_LENGTH:
        return (
            f"Content-Length {text[:20].decode()}{'...' if len(text) > 20 else ''} "
            f"(over the {MAX_CONTENT_LENGTH // (1024 * 1024)} MiB limit)"
        )
    return int(text)


async def serve(
    readline: Callable[[int], Awaitable[bytes]],
    read: Callable[[int], Awaitable[bytes]],
    dispatch: Callable[[bytes], None],
    stopped: Callable[[], bool],
) -> None:
    """Read framed messages and pass each body to ``dispatch`` until end of input or ``stopped``.

    ``dispatch`` raises ``json.JSONDecodeError`` for a body that is not JSON.
    After a rejected header the rest of that message is skipped: every line up to the next one
    holding a ``Content-Length`` header (a body without a final newline runs into it).
    """
    length: int | None = None
    skipping = False
    while not stopped():
        line = await readline(MAX_HEADER_LINE)
        if not line:
            return
        if skipping or not line.endswith(b"\n"):
            found = line.lower().find(_CONTENT_LENGTH)
            if found < 0 or not line.endswith(b"\n"):
                skipping = True
                continue
            line, skipping, length = line[found:], False, None
        if line.strip():
            name, _, value = line.partition(b":")
            if name.strip().lower() == _CONTENT_LENGTH[:-1]:
                parsed = content_length(value)
                if isinstance(parsed, str):
                    log.warning("ignoring a message with %s", parsed)
                    skipping, length = True, None
                else:
                    length = parsed
            continue
        if length is None:
            continue  # a stray blank line between messages
        body = await read(length) if length else b""
        if len(body) < length:
            return  # end of input inside a body
        length = None
        try:
            dispatch(body)
        except json.JSONDecodeError as exc:
            log.warning("ignoring a message that is not JSON (%s)", exc)
            skipping = True  # a short Content-Length: what is left of the body is no header

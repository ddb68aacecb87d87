"""A guard in front of the app for JSON request bodies: too large or too deeply nested is refused before it
is parsed.

    POST, Content-Type: application/json ─► read the body (at most `max_bytes`, else 413)
                                        ─► nesting deeper than `max_depth` ([ and { counted): 400
                                        ─► the app gets the body as it came

Gradio parses every event's JSON body; a body nested 200,000 deep makes the parser recurse until it
fails, and a 40 MB body of typed numbers is read, parsed and validated before any limit applies. File
uploads are multipart, not JSON: Gradio's `max_file_size` bounds those.
"""

from __future__ import annotations

import json

import numpy as np

MAX_DEPTH = 64  # Gradio's own payloads nest a handful of levels


def nesting_depth(body: bytes) -> int:
    """The deepest [ / { nesting in `body` (brackets inside strings count too: an upper bound, cheap to get)."""
    if not body:
        return 0
    data = np.frombuffer(body, dtype=np.uint8)
    step = np.isin(data, (ord("["), ord("{"))).astype(np.int64) - np.isin(data, (ord("]"), ord("}")))
    return int(np.cumsum(step).max(initial=0))


class RequestGuard:
    """ASGI middleware: `Middleware(RequestGuard, max_bytes=…)` in the app's middleware list."""

    def __init__(self, app, max_bytes: int, max_depth: int = MAX_DEPTH):
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not _is_json(scope):
            return await self.app(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await _refuse(send, 413, f"the request is larger than {self.max_bytes:,} bytes")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if nesting_depth(body) > self.max_depth:
            return await _refuse(send, 400, f"the request nests deeper than {self.max_depth} levels")
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def _is_json(scope) -> bool:
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    return content_type.split(b";")[0].strip().lower() == b"application/json"


async def _refuse(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

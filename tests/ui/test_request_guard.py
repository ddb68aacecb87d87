"""The JSON guard: nesting measured for real payloads, and what the ASGI middleware lets through."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json

from playground.ui.request_guard import RequestGuard, nesting_depth


def test_nesting_depth():
    assert nesting_depth(b"") == 0 and nesting_depth(b'{"data": [1, 2]}') == 2
    assert nesting_depth(json.dumps({"data": [[{"a": [1]}]]}).encode()) == 5
    assert nesting_depth(b"[" * 200_000 + b"]" * 200_000) == 200_000


def call(body: bytes, content_type: bytes = b"application/json") -> tuple[int, list[bytes]]:
    """(status, bodies the app received) for `body` sent in two chunks through a guard of 1,000 bytes, depth 8."""
    received, sent = [], []

    async def app(scope, receive, send):
        received.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})

    chunks = [body[: len(body) // 2], body[len(body) // 2:]]

    async def receive():
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", content_type)]}
    guard = RequestGuard(app, max_bytes=1000, max_depth=8)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own event loop (Playwright may hold this thread's)
        pool.submit(asyncio.run, guard(scope, receive, send)).result()
    return next(m["status"] for m in sent if m["type"] == "http.response.start"), received


def test_the_guard_passes_normal_bodies_whole_and_refuses_deep_or_large_ones():
    payload = json.dumps({"data": ["hello", [1, 2, 3]], "session_hash": "x"}).encode()
    assert call(payload) == (200, [payload])  # reassembled from its two chunks
    assert call(b"[" * 9 + b"]" * 9) == (400, [])
    assert call(b"[" + b"1," * 600 + b"1]") == (413, [])
    assert call(b"[" * 9 + b"]" * 9, content_type=b"multipart/form-data")[0] == 200  # uploads are not JSON

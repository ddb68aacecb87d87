"""PEFT Playground: `python app.py [--host H] [--port P]`.

`demo` is built at import (cheap: no model is loaded until a tab needs one), so tests and
`gradio app.py` can import it; it is launched only when run as a script.
"""

from __future__ import annotations

import argparse
import os
import threading

# First of the playground: on a ZeroGPU Space this imports `spaces` (before anything touches CUDA, and before
# launch) and decorates the GPU calls; elsewhere it changes nothing.
from playground import zerogpu  # noqa: F401,I001

from starlette.middleware import Middleware

from playground import models
from playground.settings import LIMITS
from playground.ui.interface import CSS, THEME, build_demo
from playground.ui.request_guard import RequestGuard

demo = build_demo()


def warm_up() -> None:
    models.import_libraries()
    if LIMITS.finetune_process:
        from playground.finetune.process import start_server

        start_server(models.default_device())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--host",
        default=os.environ.get("PLAYGROUND_HOST") or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
        help="interface to listen on; 0.0.0.0 for hosting (env PLAYGROUND_HOST)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PLAYGROUND_PORT") or os.environ.get("GRADIO_SERVER_PORT") or 7860),
        help="port (env PLAYGROUND_PORT)",
    )
    args = parser.parse_args(argv)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        theme=THEME,
        css=CSS,
        footer_links=["api", "gradio", "settings"],
        max_file_size=LIMITS.max_upload_bytes,  # larger uploads are refused before they are stored
        # JSON bodies: a pasted dataset may be as large as an upload; anything larger, or nested deeper than
        # any Gradio payload, is refused before it is parsed
        app_kwargs={"middleware": [Middleware(RequestGuard, max_bytes=2 * LIMITS.max_upload_bytes + (1 << 20))]},
        prevent_thread_lock=True,
    )
    # Serve first, then import transformers and peft (≈3 s) and start the fine-tunes' fork server in the
    # background, so the first click and the first run are quick.
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    demo.block_thread()


if __name__ == "__main__":
    main()

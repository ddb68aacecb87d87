"""Start-up: launch to interactive page, and the default model's first (cold) and cached (warm) load."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench.server import CHROMIUM_ARGS, ROOT, launch_app, stop_app, wait_until_up

LOAD_SNIPPET = """
import time
from playground import models
start = time.monotonic()
models.load_model(models.BUNDLED_ID)
print(f"{time.monotonic() - start:.2f}")
"""


def _page_interactive_seconds() -> tuple[float, float]:
    """(seconds until the server answers, seconds until Chromium shows the first tab) from launch.

    Chromium is started before the app, so its own start-up is not counted.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page()
        start = time.monotonic()
        process, url = launch_app()
        try:
            wait_until_up(url, process)
            served = time.monotonic() - start
            page.goto(url)
            page.get_by_role("tab", name="Quantization Lab").wait_for()
            interactive = time.monotonic() - start
        finally:
            stop_app(process)
            browser.close()
    return served, interactive


def _load_seconds(cache_dir: str) -> float:
    env = {**os.environ, "PLAYGROUND_CACHE": cache_dir}
    output = subprocess.run(
        [sys.executable, "-c", LOAD_SNIPPET], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(output.stdout.strip().splitlines()[-1])


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    served, interactive = _page_interactive_seconds()
    result = [
        ("start-up", "launch → server answers", f"{served:.2f} s"),
        ("start-up", "launch → page interactive (Chromium)", f"{interactive:.2f} s"),
    ]
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = _load_seconds(cache_dir)
        warm = _load_seconds(cache_dir)
    result += [
        ("start-up", "SmolLM2-135M load, cold (GGUF → safetensors)", f"{cold:.1f} s"),
        ("start-up", "SmolLM2-135M load, warm (cached, sha256 checked)", f"{warm:.2f} s"),
    ]
    return result

"""Run folders to export, made once per test session by the real fine-tune CLI (2 steps): on the tiny model
and on the bundled SmolLM2."""

from __future__ import annotations

import pytest

from playground import finetune as ft
from playground import models
from playground.export import export_run, read_run


def _run(folder, model_id: str, eval_examples: int):
    code = ft.main(["--model-id", model_id, "--dataset", "pirate", "--steps", "2", "--batch-size", "2",
                    "--max-length", "96", "--eval-examples", str(eval_examples), "--eval-every", "0",
                    "--learning-rate", "5e-3", "--device", "cpu", "--out", str(folder)])
    assert code == 0
    return read_run(folder)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("tiny-run") / "run1", models.TINY_ID, 2)


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("bundled-run") / "run1", models.BUNDLED_ID, 2)


@pytest.fixture(scope="session")
def tiny_exports(tiny_run, tmp_path_factory):
    """Every format of the tiny run, exported once: {format: ExportResult}."""
    root = tmp_path_factory.mktemp("tiny-exports")
    return {fmt: export_run(tiny_run, fmt, root / fmt) for fmt in ("adapter", "merged", "gguf-f16", "gguf-q8_0",
                                                                  "gguf-q4_0")}

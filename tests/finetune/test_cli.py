"""python -m playground.finetune: flags to a run, the adapter and metrics.json on disk, errors without a traceback."""

from __future__ import annotations

import json

from playground import finetune as ft
from playground import models


def test_cli_writes_adapter_and_metrics(tiny, tmp_path):
    code = ft.main(["--model-id", models.TINY_ID, "--dataset", "sentiment", "--steps", "3", "--batch-size", "2",
                    "--eval-examples", "2", "--device", "cpu", "--out", str(tmp_path)])
    assert code == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["steps_done"] == 3 and metrics["dataset"] == "sentiment"
    assert [entry["step"] for entry in metrics["history"] if "loss" in entry] == [1, 2, 3]
    assert metrics["tokens_per_s"] > 0 and set(metrics["metric_before"]) == {"score", "format"}
    assert (tmp_path / "adapter_model.safetensors").exists()


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    assert ft.main(["--steps", "0", "--out", str(tmp_path)]) == 2
    assert "steps must be a whole number" in capsys.readouterr().err

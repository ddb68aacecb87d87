"""python -m playground.finetune: flags to a run, the adapter and metrics.json on disk, errors without a traceback."""

from __future__ import annotations

import ast
import json

import pytest

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


def test_cli_exports_a_training_script_without_training(tmp_path, capsys):
    from playground.finetune.script import DATA_FILE

    data = tmp_path / "mine.jsonl"
    data.write_text("".join(json.dumps({"instruction": f"Say {n}.", "response": f"{n}!"}) + "\n" for n in range(10)))
    job = tmp_path / "job"
    code = ft.main(["--preset", "quick", "--model-id", models.TINY_ID, "--rank", "4", "--steps", "7",
                    "--data", str(data), "--export-script", str(job)])
    assert code == 0 and "nothing trained" in capsys.readouterr().out
    assert sorted(path.name for path in job.iterdir()) == ["README.txt", "accelerate", DATA_FILE, "train.py"]
    assert sorted(path.name for path in (job / "accelerate").iterdir()) == ["ddp.yaml", "fsdp.yaml", "zero3.yaml"]
    assert not list(job.rglob("*.safetensors"))  # no adapter: nothing was trained
    rows = [json.loads(line) for line in (job / DATA_FILE).read_text().splitlines()]
    assert [row["instruction"] for row in rows] == [f"Say {n}." for n in range(10)]
    assert [row["split"] for row in rows] == ["train"] * 9 + ["test"]  # the playground's held-out tenth
    text = (job / "train.py").read_text()
    settings = ast.literal_eval(text.split("SETTINGS: dict = ", 1)[1].split("\nMESSAGES", 1)[0])
    quick = ft.PRESETS["quick"]
    assert (settings["rank"], settings["steps"], settings["batch_size"]) == (4, 7, quick["batch_size"])
    assert (settings["max_length"], settings["learning_rate"]) == (quick["max_length"], quick["learning_rate"])
    assert settings["warmup_steps"] == quick["warmup_steps"] and settings["dataset"] == "user data"


def test_cli_needs_out_or_export_script(capsys):
    with pytest.raises(SystemExit) as exit_info:
        ft.main(["--steps", "3"])
    assert exit_info.value.code == 2 and "--export-script" in capsys.readouterr().err

"""A run folder is read with its settings; anything else is refused with a message that names what is missing."""

from __future__ import annotations

import json
import shutil

import pytest

from playground import models
from playground.export import read_run


def test_reads_the_cli_runs_folder(tiny_run):
    run = read_run(tiny_run.path)
    assert run.model_id == models.TINY_ID and run.config.steps == 2 and run.summary["steps_done"] == 2
    assert run.adapter_bytes() > 0


def test_refuses_what_is_not_a_run(tiny_run, tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        read_run(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="adapter_config.json, adapter_model.safetensors, metrics.json missing"):
        read_run(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run.path, broken)
    (broken / "metrics.json").write_text(json.dumps({"config": {"rank": 0}}))
    with pytest.raises(ValueError, match="Cannot read the run's settings"):
        read_run(broken)

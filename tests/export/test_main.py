"""python -m playground.export, run as a user runs it (a subprocess): the export on disk, errors without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "playground.export", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=900, env={**os.environ, "HF_HUB_OFFLINE": "1", **env})


def test_cli_exports_the_adapter(tiny_run, tmp_path):
    done = _cli(str(tiny_run.path), "--format", "adapter", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "adapter_model.safetensors").is_file() and (tmp_path / "out" / "README.md").is_file()
    assert "adapter written to" in done.stdout and "PeftModel.from_pretrained" in done.stdout


def test_cli_errors(tiny_run, tmp_path):
    bad_folder = _cli(str(tmp_path / "missing"), "--format", "merged", "--out", str(tmp_path / "out"))
    assert bad_folder.returncode == 2 and "is not a folder" in bad_folder.stderr
    assert "Traceback" not in bad_folder.stderr
    bad_format = _cli(str(tiny_run.path), "--format", "onnx", "--out", str(tmp_path / "out"))
    assert bad_format.returncode == 2 and "invalid choice: 'onnx'" in bad_format.stderr
    offline = _cli(str(tiny_run.path), "--format", "adapter", "--out", str(tmp_path / "o2"), "--push-to", "me/m",
                   HF_TOKEN="hf_secretsecretsecret")
    assert offline.returncode == 2 and "Cannot reach the Hugging Face Hub" in offline.stderr
    assert "hf_secretsecretsecret" not in offline.stderr + offline.stdout and not (tmp_path / "o2").exists()

"""The Studio's exports: in the session's folder, one kept per session, one at a time, within the disk limit."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from playground.export import session as exports
from playground.studio import Studio
from playground.studio.sessions import Run


def studio_with_run(root, run_folder):
    """A real Studio session holding `run_folder` as its run1 (as `Studio._register` keeps a finished run)."""
    studio = Studio(root=root)
    owner = studio.open()
    held = studio.session(owner)
    adapter_dir = held.folder / "run1"
    shutil.copytree(run_folder.path, adapter_dir)
    held.runs["run1"] = Run("run1", run_folder.config, run_folder.summary, adapter_dir)
    return studio, owner


def test_adapter_zip_then_a_new_export_replaces_it(tiny_run, tmp_path):
    studio, owner = studio_with_run(tmp_path, tiny_run)
    result = exports.export_in_session(studio, owner, "run1", "adapter")
    assert [path.name for path in result.files] == ["export-run1-adapter.zip"]
    with zipfile.ZipFile(result.files[0]) as archive:
        assert sorted(archive.namelist()) == sorted(f"export-run1-adapter/{name}" for name in (
            "README.md", "adapter_config.json", "adapter_model.safetensors", "metrics.json"))
    assert exports.latest(studio.session(owner), "run1", "adapter") == result.folder
    q4 = exports.export_in_session(studio, owner, "run1", "gguf-q4_0")
    folder = studio.session(owner).folder / "exports"
    assert sorted(path.name for path in folder.iterdir()) == ["export-run1-gguf-q4_0"]
    assert exports.latest(studio.session(owner), "run1", "adapter") is None
    assert "./export-run1-gguf-q4_0/" in q4.how_to_run
    studio.close(owner)
    assert not folder.exists()  # reaped with the session


def test_one_export_at_a_time_and_the_disk_limit(tiny_run, tmp_path, monkeypatch):
    studio, owner = studio_with_run(tmp_path, tiny_run)
    lock = exports._lock_of(studio.session(owner))
    with lock:  # an export of this session running
        with pytest.raises(ValueError, match="still running"):
            exports.export_in_session(studio, owner, "run1", "adapter")
    monkeypatch.setattr(exports, "session_disk_limit", lambda: 4 << 20)
    with pytest.raises(ValueError, match="disk limit of 4.0 MiB"):
        exports.export_in_session(studio, owner, "run1", "merged")
    with pytest.raises(ValueError, match="Unknown export format"):
        exports.export_in_session(studio, owner, "run1", "zip")


def test_all_sessions_exports_stay_within_the_server_cap(tiny_run, tmp_path, monkeypatch):
    from dataclasses import replace

    studio, owner = studio_with_run(tmp_path, tiny_run)
    other = studio.open()  # another session holding an export of 3 MiB
    (studio.session(other).folder / exports.EXPORTS).mkdir()
    (studio.session(other).folder / exports.EXPORTS / "export-run1-gguf-f16").mkdir()
    (studio.session(other).folder / exports.EXPORTS / "export-run1-gguf-f16" / "model.gguf").write_bytes(b"0" * (3 << 20))
    assert exports.server_exports_bytes(studio) == 3 << 20
    needed = exports.estimate_bytes(exports.read_run(studio.run(owner, "run1").adapter_dir), "gguf-f16")
    monkeypatch.setattr(exports, "LIMITS", replace(exports.LIMITS, max_export_disk_bytes=(3 << 20) + needed - 1))
    with pytest.raises(ValueError, match="this server's exports already hold 3.0 MiB"):
        exports.export_in_session(studio, owner, "run1", "gguf-f16")
    monkeypatch.setattr(exports, "LIMITS", replace(exports.LIMITS, max_export_disk_bytes=(3 << 20) + needed))
    assert exports.export_in_session(studio, owner, "run1", "gguf-f16").size_bytes <= needed


def test_training_script_export(tiny_run, tmp_path):
    studio, owner = studio_with_run(tmp_path, tiny_run)
    result = exports.export_in_session(studio, owner, "run1", exports.SCRIPT)
    with zipfile.ZipFile(result.files[0]) as archive:
        names = archive.namelist()
    assert "export-run1-script/train.py" in names and "export-run1-script/data.jsonl" in names
    assert any(name.startswith("export-run1-script/accelerate/") for name in names)
    assert "python train.py" in result.how_to_run

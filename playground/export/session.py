"""Exports of the Studio's runs, inside each session's own folder (reaped with the session).

    Studio session folder/ run1/ …            the run (adapter + metrics.json)
                           exports/run1-gguf-q8_0/   the latest export of this session (one kept: a new
                                                     export replaces it, so a session's exports never pile up)

One export per session at a time (a second is refused with a message while the first runs); the export's
estimated size plus what the session folder already holds must stay within `session_disk_limit()`.
"""

from __future__ import annotations

import os
import shutil
import threading
import weakref
import zipfile
from pathlib import Path

from playground import datasets
from playground.export.exporter import ExportResult, check_format, estimate_bytes, export_run, mib
from playground.export.run_folder import read_run
from playground.i18n import t
from playground.settings import LIMITS

EXPORTS = "exports"
PREFIX = "export-"  # this module's folders inside EXPORTS (the Studio's own adapter zips live there too)
SCRIPT = "script"  # the run's settings as a standalone train.py (playground.finetune.script), Studio only
PANEL_FORMATS = ("adapter", "merged", "gguf-f16", "gguf-q8_0", "gguf-q4_0", SCRIPT)

_busy: "weakref.WeakKeyDictionary[object, threading.Lock]" = weakref.WeakKeyDictionary()
_busy_guard = threading.Lock()


def session_disk_limit() -> int:
    return LIMITS.max_session_disk_bytes


def server_exports_bytes(studio) -> int:
    """What every session's kept exports hold together (each session keeps its latest one only)."""
    root = Path(studio.root)
    return sum(_bytes(folder) for folder in root.glob(f"*/{EXPORTS}")) if root.exists() else 0


def check_server_room(studio, run_folder, fmt: str) -> None:
    """Refuses an export that would take all sessions' exports past LIMITS.max_export_disk_bytes."""
    needed, used, limit = estimate_bytes(run_folder, fmt), server_exports_bytes(studio), LIMITS.max_export_disk_bytes
    if used + needed > limit:
        raise ValueError(t("export.err.server_full", format=fmt, size=mib(needed), used=mib(used), limit=mib(limit)))


def _lock_of(session) -> threading.Lock:
    with _busy_guard:
        lock = _busy.get(session)
        if lock is None:
            lock = _busy[session] = threading.Lock()
        return lock


def _bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


def latest(session, run_id: str, fmt: str) -> Path | None:
    """The session's kept export of (run_id, fmt), if that is the one it holds."""
    folder = Path(session.folder) / EXPORTS / f"{PREFIX}{run_id}-{fmt}"
    return folder if folder.is_dir() and any(folder.iterdir()) else None


def export_in_session(studio, owner: str, run_id: str, fmt: str, progress=None) -> ExportResult:
    """Export the owner's run `run_id` as `fmt` into the session's folder, replacing its previous export.
    The adapter also comes as one zip (its download)."""
    if fmt != SCRIPT:
        check_format(fmt)
    session = studio.session(owner)
    run = studio.run(owner, run_id)
    lock = _lock_of(session)
    if not lock.acquire(blocking=False):
        raise ValueError(t("export.err.busy"))
    try:
        exports = Path(session.folder) / EXPORTS
        exports.mkdir(exist_ok=True)
        for old in exports.glob(f"{PREFIX}*"):  # the one kept export goes before the new one is sized
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
        out = exports / f"{PREFIX}{run_id}-{fmt}"
        if fmt == SCRIPT:
            return _script(run, out, exports)
        run_folder = read_run(run.adapter_dir)
        check_server_room(studio, run_folder, fmt)
        result = export_run(run_folder, fmt, out, limit_bytes=session_disk_limit(),
                            used_bytes=_bytes(Path(session.folder)), where=f"./{out.name}", progress=progress)
        if fmt == "adapter":
            archive = _zip(out, exports / f"{out.name}.zip")
            result.files = [archive]
            result.size_bytes = os.path.getsize(archive)
        return result
    finally:
        lock.release()


def _zip(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        for file in sorted(path for path in folder.rglob("*") if path.is_file()):
            handle.write(file, arcname=f"{folder.name}/{file.relative_to(folder)}")
    return archive


def _script(run, out: Path, exports: Path) -> ExportResult:
    """The run's settings as a standalone training script (train.py, its data, accelerate configs), zipped."""
    import time

    from playground.finetune.script import write_training_script

    if run.summary.get("dataset") == datasets.USER_DATA:
        raise ValueError(t("export.err.script_user_data"))
    started = time.perf_counter()
    write_training_script(run.config, None, out)
    archive = _zip(out, exports / f"{out.name}.zip")
    how = t("export.how.script", folder=out.name)
    return ExportResult(SCRIPT, out, [archive], archive.stat().st_size, time.perf_counter() - started, how)

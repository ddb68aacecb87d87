"""A run's folder, as the Studio keeps it per run and `python -m playground.finetune --out` writes it:

    RUN_DIR/  adapter_config.json + adapter_model.safetensors   the LoRA adapter (peft format)
              metrics.json                                       the run's summary, its settings under "config"
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from playground.finetune.config import FinetuneConfig
from playground.i18n import t

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
METRICS = "metrics.json"


@dataclass(frozen=True)
class RunFolder:
    path: Path
    summary: dict  # metrics.json: FinetuneResult.summary() (plus the Studio's metric_full_precision)
    config: FinetuneConfig

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def model_id(self) -> str:
        return self.config.model_id

    def adapter_bytes(self) -> int:
        return sum((self.path / name).stat().st_size for name in (*ADAPTER_FILES, METRICS))


def read_run(path: str | Path) -> RunFolder:
    """The run in `path`, or a ValueError that says what is missing."""
    folder = Path(path)
    if not folder.is_dir():
        raise ValueError(t("export.err.no_folder", path=str(folder)))
    missing = [name for name in (*ADAPTER_FILES, METRICS) if not (folder / name).is_file()]
    if missing:
        raise ValueError(t("export.err.not_a_run", path=str(folder), missing=", ".join(missing)))
    try:
        summary = json.loads((folder / METRICS).read_text())
        config = FinetuneConfig(**summary["config"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(t("export.err.bad_metrics", path=str(folder / METRICS), error=str(err))) from None
    return RunFolder(folder, summary, config)

"""Texts of the experiment presets and of resuming a run (playground/finetune/experiments.py). EN and KO
hold the same keys (tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
}

KO: dict[str, str] = {
}

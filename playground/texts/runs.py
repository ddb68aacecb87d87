"""Texts of the Runs tab (runs side by side, experiment presets, resume). EN and KO hold the same keys
(tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
    "tab.runs": "Runs",
}

KO: dict[str, str] = {
    "tab.runs": "실행 비교",
}

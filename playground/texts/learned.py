"""Texts of the What it learned tab (singular values of ΔW, intrinsic rank, merge check). EN and KO hold the same keys
(tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
    "tab.learned": "What it learned",
}

KO: dict[str, str] = {
    "tab.learned": "어댑터가 배운 것",
}

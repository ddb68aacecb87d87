"""Texts of the lesson section. EN and KO hold the same keys (tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
}

KO: dict[str, str] = {
}

"""Texts of the Chat & Arena tab (multi-turn chat with any model or adapter, two answers side by side). EN and KO hold the same keys
(tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
    "tab.chat": "Chat & Arena",
}

KO: dict[str, str] = {
    "tab.chat": "채팅 & 아레나",
}

"""The UI's text lookup: `t(key)` in the language of the session that asked (playground/i18n.py); the
catalogs themselves live in playground/texts/."""

from __future__ import annotations

from playground.i18n import CATALOG, LANGUAGES, Text, in_language, language, t, using

__all__ = ["CATALOG", "LANGUAGES", "Text", "in_language", "language", "t", "using"]

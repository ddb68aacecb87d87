"""The text catalogs, one module per section (see playground/i18n.py)."""

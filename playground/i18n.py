"""Korean and English: every text a user can see, looked up by key in the language of whoever asked.

    t("quant.intro")                 the text in the current language (a `Text`: a str that knows its key)
    t("checks.range", low=1, high=8) the same, formatted (a Text too, that keeps its values)
    current language:  `using("ko")` around a call (the CLI, tests), else the resolver the UI installs (the
                       language the browser session chose), else English
    catalogs:          playground/texts/<section>.py, each with EN and KO dicts of the same keys

Terms follow the study notes the workshops teach from: 양자화 (quantization), 블록 단위 양자화 (blockwise),
이중 양자화 (double quantization), 어댑터 (adapter), 파라미터 (parameter), 학습 (training), with the standard
English names kept where the notes keep them (LoRA, QLoRA, NF4, FP4, absmax, zero-point).
No Gradio here: core modules raise their messages through `t` and the UI decides the language.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import re
import string
from typing import Callable, Iterator

LANGUAGES = ("en", "ko")
LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}
SECTIONS = ("app", "common", "quant", "formats", "adapters", "studio", "export", "script", "lesson", "runs", "chat",
            "learned", "experiments")  # playground/texts/<section>.py

_explicit: contextvars.ContextVar[str | None] = contextvars.ContextVar("playground_language", default=None)
_resolver: Callable[[], str | None] | None = None


class Text(str):
    """A catalog text: a plain str that remembers its key and values (so the UI can show it again, the same,
    in another language)."""

    key: str
    values: dict

    def __new__(cls, value: str, key: str, values: dict | None = None) -> "Text":
        text = super().__new__(cls, value)
        text.key, text.values = key, dict(values or {})
        return text

    def __getnewargs__(self):  # pickle and copy (events cross a process boundary, Gradio deep-copies values)
        return str(self), self.key, self.values

    def again(self) -> "Text":
        """The same text in the current language (a value that is itself a catalog text too)."""
        return t(self.key, **{name: value.again() if isinstance(value, Text) else value
                              for name, value in self.values.items()})


def _load() -> dict[str, dict[str, str]]:
    catalog: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for section in SECTIONS:
        module = importlib.import_module(f"playground.texts.{section}")
        for language in LANGUAGES:
            entries = getattr(module, language.upper())
            clash = catalog[language].keys() & entries.keys()
            if clash:
                raise RuntimeError(f"text keys defined twice: {sorted(clash)}")
            catalog[language].update(entries)
    return catalog


CATALOG = _load()


def normalize(language: str | None) -> str | None:
    """"ko", "ko-KR", "ko-KR,ko;q=0.9,en;q=0.8" → "ko"; the first supported language of a list, else None."""
    for part in re.split(r"[,\s]+", language or ""):
        code = part.split(";")[0].strip().lower().split("-")[0].split("_")[0]
        if code in LANGUAGES:
            return code
    return None


def set_resolver(resolver: Callable[[], str | None] | None) -> None:
    """How to find the language when no `using` is in force (the UI: the browser session's choice)."""
    global _resolver
    _resolver = resolver


def language() -> str:
    explicit = _explicit.get()
    if explicit:
        return explicit
    if _resolver is not None:
        return normalize(_resolver()) or "en"
    return "en"


@contextlib.contextmanager
def using(language_code: str | None) -> Iterator[str]:
    """Within the block, `t` answers in this language (unknown codes: English)."""
    code = normalize(language_code) or "en"
    token = _explicit.set(code)
    try:
        yield code
    finally:
        _explicit.reset(token)


def t(key: str, /, **values) -> str:
    """The text for `key` in the current language; formatted with `values` when given. A missing key is a bug."""
    code = language()
    text = CATALOG[code].get(key)
    if text is None:
        if key not in CATALOG["en"]:
            raise KeyError(f"no text for key {key!r}")
        text = CATALOG["en"][key]
    return Text(text.format(**values) if values else text, key, values)


def in_language(key: str, language_code: str, /, **values) -> str:
    with using(language_code):
        return t(key, **values)


def placeholders(text: str) -> set[str]:
    """The {names} a text is formatted with (what both languages of a key must share)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def bound(fn: Callable) -> Callable:
    """`fn`, run in the language current now, whichever thread or process later calls it."""
    code = language()

    def in_language_of_caller(*args, **kwargs):
        with using(code):
            return fn(*args, **kwargs)

    return in_language_of_caller

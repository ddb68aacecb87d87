"""A page's settings as a link: `?tab=quant&quant.schemes=nf4,fp4&quant.bits=4&studio.rank=16`.

    encode(tab, values, specs)   the query of the settings that differ from their defaults, in the order of the
                                 specs (tab first), each value checked against its setting as it would be read
    decode(query, specs)         the tab and values of a link, each validated against its setting (choices,
                                 bounds, type); what is wrong or unknown is collected as one list of problems,
                                 never raised: a broken link restores what it can and says what it could not

A value is written compactly and readable: a list of choices as `a,b` (empty: none), a switch as 1 or 0,
numbers as their shortest exact form, text percent-encoded. A link longer than MAX_LINK_CHARS is refused
before it is parsed. No Gradio here: playground/ui/link.py builds the specs from the page's widgets.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping

from playground import lesson
from playground.i18n import t

MAX_LINK_CHARS = 4096  # of a query; longer ones are refused before parsing
MAX_FIELDS = 200  # key=value pairs parsed at most (the page has about 50 settings)
MAX_NUMBER_CHARS = 32  # of one number, checked before it is parsed
MAX_KEY_SHOWN = 40  # characters of an unknown key shown back
MAX_PROBLEMS_SHOWN = 5
MAX_SAFE_INTEGER = 2**53  # what a browser's number holds exactly
TAB_KEY = "tab"
# read by others, never a problem: the language (playground/ui/language.py) and Gradio's own views
FOREIGN_KEYS = frozenset({"lang", lesson.LINK_KEY, "view", "__theme", "deep_link"})  # read by others

Kind = Literal["choice", "choices", "int", "float", "bool", "text"]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # newlines and tabs are text; other control characters are not
_SHOWN_KEY = re.compile(r"[^A-Za-z0-9_.\-]")


@dataclass(frozen=True)
class Setting:
    """What one setting accepts. `choices`: the allowed values of a choice or a list of choices (`custom`: any
    short text too, as a dropdown that takes typed values); `minimum`/`maximum`/`step` for numbers;
    `max_chars` for text. `defaults`: the values that count as the default (the first is the widget's; a
    text shown in the page's language counts in every language)."""

    kind: Kind
    defaults: tuple = ()
    choices: tuple = ()
    custom: bool = False
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    max_chars: int = MAX_LINK_CHARS

    def __post_init__(self) -> None:
        if self.kind == "choices" and any("," in str(choice) for choice in self.choices):
            raise ValueError("a list of choices is written with commas: no choice may contain one")

    # ---------------------------------------------------------------- reading one value

    def parse(self, text: str) -> Any:
        """The value `text` stands for; ValueError (with the reason, for the user) when the setting does not
        accept it."""
        if self.kind == "bool":
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(t("link.bad_bool"))
        if self.kind in ("int", "float"):
            return self._number(text)
        if self.kind == "choice":
            return self._choice(text)
        if self.kind == "choices":
            chosen = [part for part in (piece.strip() for piece in text.split(",")) if part] if text.strip() else []
            for part in chosen:
                self._choice(part)
            if self.custom:
                return list(dict.fromkeys(chosen))
            order = {str(choice): index for index, choice in enumerate(self.choices)}
            return [self._native(part) for part in sorted(set(chosen), key=order.__getitem__)]
        return self._text(text)

    def _number(self, text: str):
        text = text.strip()
        if len(text) > MAX_NUMBER_CHARS:
            raise ValueError(t("link.bad_number"))
        try:
            number = float(text)
        except ValueError:
            raise ValueError(t("link.bad_number")) from None
        if not math.isfinite(number):
            raise ValueError(t("link.bad_number"))
        if self.kind == "int":
            if not number.is_integer() or abs(number) > MAX_SAFE_INTEGER:
                raise ValueError(t("link.bad_int"))
            number = int(number)
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        if not low <= number <= high:
            raise ValueError(t("link.bad_range", low=_number_text(self.minimum, "−∞"),
                               high=_number_text(self.maximum, "∞")))
        if self.step and self.minimum is not None:
            steps = (number - self.minimum) / self.step
            if abs(steps - round(steps)) > 1e-6:
                raise ValueError(t("link.bad_step", step=_number_text(self.step, ""),
                                   low=_number_text(self.minimum, "")))
        return number

    def _choice(self, text: str):
        if any(text == str(choice) for choice in self.choices):
            return self._native(text)
        if self.custom:
            return self._text(text, limit=200)
        shown = ", ".join(str(choice) for choice in self.choices[:12])
        raise ValueError(t("link.bad_choice", choices=shown + (" …" if len(self.choices) > 12 else "")))

    def _native(self, text: str):
        """The choice itself (its own type: a number stays a number)."""
        return next(choice for choice in self.choices if str(choice) == text)

    def _text(self, text: str, limit: int | None = None):
        limit = self.max_chars if limit is None else limit
        if len(text) > limit:
            raise ValueError(t("link.bad_length", limit=limit))
        if _CONTROL.search(text):
            raise ValueError(t("link.bad_text"))
        return text

    # ---------------------------------------------------------------- writing one value

    def format(self, value: Any) -> str:
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind in ("int", "float"):
            return _number_text(value, "")
        if self.kind == "choices":
            return ",".join(str(choice) for choice in (value or []))
        return str(value)

    def is_default(self, value: Any) -> bool:
        return any(_same(self, value, default) for default in self.defaults)


def _same(setting: Setting, value, default) -> bool:
    if setting.kind in ("int", "float"):
        try:
            return value is not None and default is not None and math.isclose(float(value), float(default),
                                                                               rel_tol=1e-12, abs_tol=1e-15)
        except (TypeError, ValueError):
            return False
    if setting.kind == "choices":
        return sorted(map(str, value or [])) == sorted(map(str, default or []))
    if setting.kind == "bool":
        return bool(value) == bool(default)
    return str(value) == str(default) if value is not None and default is not None else value == default


def _number_text(number, infinite: str) -> str:
    if number is None:
        return infinite
    if float(number).is_integer() and abs(number) <= MAX_SAFE_INTEGER:
        return str(int(number))
    return repr(float(number))


def shown_key(key: str) -> str:
    """A key from a link, safe to show in Markdown: letters, digits and ._- only, and short."""
    cleaned = _SHOWN_KEY.sub("?", key[:MAX_KEY_SHOWN])
    return cleaned + ("…" if len(key) > MAX_KEY_SHOWN else "")


Specs = Mapping[str, Mapping[str, Setting]]  # tab id → setting name → Setting


@dataclass
class Decoded:
    tab: str | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # tab → setting → value
    problems: list[str] = field(default_factory=list)  # values that were not applied, with the reason
    unknown: list[str] = field(default_factory=list)  # keys the page does not have (shown safely)
    refused: str | None = None  # the whole link was refused (too long, unreadable)

    def count(self) -> int:
        return sum(len(values) for values in self.values.values())

    def message(self) -> str:
        """ONE message for the user about what was not restored, or "" when everything was."""
        if self.refused:
            return self.refused
        parts = []
        if self.problems:
            shown = "; ".join(self.problems[:MAX_PROBLEMS_SHOWN])
            more = len(self.problems) - MAX_PROBLEMS_SHOWN
            parts.append(t("link.problems", items=shown + (t("link.more", count=more) if more > 0 else "")))
        if self.unknown:
            shown = ", ".join(f"`{key}`" for key in self.unknown[:MAX_PROBLEMS_SHOWN])
            more = len(self.unknown) - MAX_PROBLEMS_SHOWN
            parts.append(t("link.unknown", keys=shown + (t("link.more", count=more) if more > 0 else "")))
        return " ".join(parts)


def decode(query: str, specs: Specs) -> Decoded:
    """The tab and settings of a link's query (with or without its leading "?"), validated; never raises."""
    decoded = Decoded()
    query = (query or "").lstrip("?")
    if len(query) > MAX_LINK_CHARS:
        decoded.refused = t("link.too_long", chars=len(query), limit=MAX_LINK_CHARS)
        return decoded
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_FIELDS,
                                       errors="strict")
    except (ValueError, UnicodeDecodeError):
        decoded.refused = t("link.unreadable", limit=MAX_FIELDS)
        return decoded
    seen: set[str] = set()
    for key, text in pairs:
        if key in FOREIGN_KEYS:
            continue
        if key in seen:
            decoded.problems.append(t("link.twice", key=shown_key(key)))
            continue
        seen.add(key)
        if key == TAB_KEY:
            if text in specs:
                decoded.tab = text
            else:
                decoded.problems.append(t("link.bad_tab", key=shown_key(text), tabs=", ".join(specs)))
            continue
        tab, _, name = key.partition(".")
        setting = specs.get(tab, {}).get(name) if name else None
        if setting is None:
            decoded.unknown.append(shown_key(key))
            continue
        try:
            value = setting.parse(text)
        except ValueError as err:
            decoded.problems.append(t("link.bad_value", key=shown_key(key), reason=str(err)))
            continue
        decoded.values.setdefault(tab, {})[name] = value
    return decoded


@dataclass
class Encoded:
    query: str  # "?tab=…&…" (just "?tab=…" when every setting has its default)
    left_out: list[str] = field(default_factory=list)  # settings that are not in the link, with the reason


def encode(tab: str | None, values: Mapping[str, Mapping[str, Any]], specs: Specs,
           max_chars: int = MAX_LINK_CHARS) -> Encoded:
    """The link of these settings: only those that differ from their defaults, in the order of `specs`. A
    value its setting would not accept back (out of range, empty) is left out, with the reason; when the
    link would exceed `max_chars`, the longest texts are left out until it fits."""
    pairs: list[tuple[str, str]] = [(TAB_KEY, tab)] if tab in specs else []
    left_out: list[str] = []
    for tab_id, settings in specs.items():
        for name, setting in settings.items():
            if name not in values.get(tab_id, {}):
                continue
            value = values[tab_id][name]
            key = f"{tab_id}.{name}"
            if value is None or setting.is_default(value):
                continue
            text = setting.format(value)
            try:
                setting.parse(text)
            except ValueError as err:
                left_out.append(t("link.bad_value", key=key, reason=str(err)))
                continue
            pairs.append((key, text))
    query = _query(pairs)
    while len(query) > max_chars:
        longest = max(range(len(pairs)), key=lambda index: len(pairs[index][1]))
        key, text = pairs.pop(longest)
        left_out.append(t("link.left_out_long", key=key, chars=len(text)))
        query = _query(pairs)
    return Encoded("?" + query, left_out)


def _query(pairs: Iterable[tuple[str, str]]) -> str:
    return urllib.parse.urlencode(list(pairs), quote_via=urllib.parse.quote, safe=",")

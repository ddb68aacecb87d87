"""The page's language, Korean or English, chosen per browser session and switchable at any time.

    page load  ?lang=ko|en in the link  >  the choice saved in this browser  >  its Accept-Language  >  English
    switch     the language radio above the tabs: every static text is drawn again in the new language
               (labels, help texts, Markdown, buttons, the labels of choices, tab names) and each tab's
               quick views are recomputed (`on_change`); what was typed, chosen, run or trained stays
    handlers   `t()` answers in the language of the session whose request it serves: the resolver below
               reads Gradio's current request (a context variable it sets for every handler call and
               every step of a generator), and the session's choice is kept here, bounded

API clients get English unless they send `Accept-Language: ko`.
"""

from __future__ import annotations

import collections
import inspect
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

import gradio as gr
import pandas as pd

from playground import i18n
from playground.i18n import LANGUAGE_NAMES, LANGUAGES, Text, normalize, t, using

MAX_SESSIONS = 4096  # sessions whose choice is remembered; the oldest are forgotten (they fall back to their header)
STORAGE_KEY = "peft-playground-language"
ELEM_ID = "language"


class SessionLanguages:
    """session hash → language, least recently set out past `limit`."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self.limit = limit
        self._languages: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._lock = threading.Lock()

    def set(self, session: str, language: str) -> None:
        with self._lock:
            self._languages[session] = language
            self._languages.move_to_end(session)
            while len(self._languages) > self.limit:
                self._languages.popitem(last=False)

    def get(self, session: str | None) -> str | None:
        with self._lock:
            return self._languages.get(session or "")

    def __len__(self) -> int:
        with self._lock:
            return len(self._languages)


SESSIONS = SessionLanguages()


def _header(request, name: str) -> str:
    headers = getattr(request, "headers", None) or {}
    try:
        return headers.get(name, "") or ""
    except AttributeError:
        return ""


def _link_language(request) -> str | None:
    """?lang= of the page: the query of the request itself, or of the page it came from (its Referer)."""
    params = getattr(request, "query_params", None) or {}
    found = normalize(params.get("lang")) if hasattr(params, "get") else None
    if found:
        return found
    query = urllib.parse.urlparse(_header(request, "referer")).query
    return normalize((urllib.parse.parse_qs(query).get("lang") or [None])[0])


def resolve() -> str | None:
    """The language of the request being served (installed as playground.i18n's resolver)."""
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    if request is None:
        return None
    return SESSIONS.get(getattr(request, "session_hash", None)) or normalize(_header(request, "accept-language"))


def choose(request, saved: str | None) -> str:
    """The language of a page being loaded."""
    return (_link_language(request) or normalize(saved) or normalize(_header(request, "accept-language"))
            or "en")


# --------------------------------------------------------------------------- static texts

TRANSLATED = ("label", "info", "placeholder")  # of every component
SHOWN_VALUE = (gr.Markdown, gr.HTML, gr.Button, gr.DownloadButton)  # whose value is text to read, not an input
CHOICES = (gr.Radio, gr.Dropdown, gr.CheckboxGroup)


@dataclass
class StaticText:
    """One component's texts that came from the catalog (what a switch draws again)."""

    block: gr.blocks.Block
    props: dict[str, Text] = field(default_factory=dict)
    choices: list | None = None  # [(label, value)] with Text labels
    input_value: Text | None = None  # a default an input starts with: redrawn on page load only
    headers: list | None = None  # a table's column names (shown while it is empty)

    def update(self, page_load: bool, table=None):
        """The component's texts again, in the current language. `table`: a Dataframe's current value (an
        empty one is drawn again with the new column names; one with rows keeps what it shows)."""
        values = {prop: text.again() for prop, text in self.props.items()}
        if self.choices is not None:
            values["choices"] = [(label.again() if isinstance(label, Text) else label, value)
                                 for label, value in self.choices]
        if self.headers is not None:
            values["headers"] = [name.again() if isinstance(name, Text) else name for name in self.headers]
            if table is None or len(table) == 0:
                values["value"] = pd.DataFrame(columns=values["headers"])
        if page_load and self.input_value is not None:
            values["value"] = self.input_value.again()
        return gr.update(**values) if values else gr.skip()


def static_texts(demo: gr.Blocks) -> list[StaticText]:
    """Every component whose constructor got catalog texts (labels, help texts, shown values, choices)."""
    found = []
    for block in demo.blocks.values():
        arguments = getattr(block, "constructor_args", None) or {}
        entry = StaticText(block, {prop: arguments[prop] for prop in TRANSLATED if isinstance(arguments.get(prop), Text)})
        value = arguments.get("value")
        if isinstance(value, Text):
            if isinstance(block, SHOWN_VALUE):
                entry.props["value"] = value
            else:
                entry.input_value = value
        choices = arguments.get("choices")
        if isinstance(block, CHOICES) and choices and any(
                isinstance(choice, (tuple, list)) and isinstance(choice[0], Text) for choice in choices):
            entry.choices = [tuple(choice) if isinstance(choice, (tuple, list)) else (choice, choice)
                             for choice in choices]
        headers = arguments.get("headers")
        if isinstance(block, gr.Dataframe) and headers and any(isinstance(name, Text) for name in headers):
            entry.headers = list(headers)
        if entry.props or entry.choices is not None or entry.input_value is not None or entry.headers is not None:
            found.append(entry)
    return found


# --------------------------------------------------------------------------- the switch

# Gradio's frontend keeps its locale in the module that exports `changeLocale` (its core-<hash>.js, already
# loaded by the page: importing the same URL again gives the same module). If that ever changes, only
# Gradio's own words keep the browser's language.
SYNC_GRADIO_LOCALE = """(language) => {
    const core = performance.getEntriesByType('resource').map(entry => entry.name)
        .find(name => /\/core-[\w-]+\.js(\?|$)/.test(name));
    if (core) import(core).then(module => module.changeLocale && module.changeLocale(language)).catch(() => {});
    return [language];
}"""


@dataclass
class Refresh:
    """A tab's quick view, recomputed after a switch (its handler, inputs and outputs)."""

    fn: Callable
    inputs: list
    outputs: list


_refreshes: list[Refresh] = []


def on_change(fn: Callable, inputs: list, outputs: list) -> None:
    """Recompute this view (in the new language) whenever the language is switched; tabs call it while the
    page is built."""
    _refreshes.append(Refresh(fn, list(inputs), list(outputs)))


def language_radio() -> gr.Radio:
    return gr.Radio([(LANGUAGE_NAMES[code], code) for code in LANGUAGES], value="en", label=t("app.language"),
                    info=t("app.language_info"), elem_id=ELEM_ID, container=False, scale=0, min_width=220)


def install(demo: gr.Blocks, radio: gr.Radio) -> None:
    """Wire the language: the resolver, page load, the switch and the tabs' refreshes. Call after the tabs
    are built, inside `with demo:`."""
    i18n.set_resolver(resolve)
    saved = gr.BrowserState(None, storage_key=STORAGE_KEY)
    texts = static_texts(demo)
    outputs = [entry.block for entry in texts]
    tables = [entry.block for entry in texts if entry.headers is not None]  # read: an empty one is redrawn

    def redraw(language: str, page_load: bool, shown: tuple) -> list:
        current = dict(zip(tables, shown))
        with using(language):
            return [entry.update(page_load, current.get(entry.block)) for entry in texts]

    def load(saved_language: str | None, *shown, request: gr.Request):
        language = choose(request, saved_language)
        SESSIONS.set(request.session_hash, language)
        if language == "en":  # the page was built in English: nothing to draw again
            return [language, language, *[gr.skip()] * len(outputs)]
        return [language, language, *redraw(language, True, shown)]

    def switch(language: str, *shown, request: gr.Request):
        language = normalize(language) or "en"
        SESSIONS.set(request.session_hash, language)
        return [language, *redraw(language, False, shown)]

    loaded = demo.load(_with_tables(load, len(tables)), [saved, *tables], [radio, saved, *outputs],
                       api_visibility="private", queue=False)
    switched = radio.input(_with_tables(switch, len(tables)), [radio, *tables], [saved, *outputs],
                           api_visibility="private", queue=False)
    # Gradio's own few words (its footer, the upload box) follow its frontend's locale: set it to the same language
    loaded = loaded.then(None, [radio], None, js=SYNC_GRADIO_LOCALE, api_visibility="private", queue=False)
    switched = switched.then(None, [radio], None, js=SYNC_GRADIO_LOCALE, api_visibility="private", queue=False)
    for refresh in _refreshes:
        # after a page load only when it is not in English (the tabs' own load events drew the views, maybe
        # before this session's language was known); after a switch always
        loaded = loaded.then(_unless_english(refresh), refresh.inputs, refresh.outputs, api_visibility="private")
        switched = switched.then(refresh.fn, refresh.inputs, refresh.outputs, api_visibility="private")
    _refreshes.clear()


def _with_tables(fn: Callable, count: int) -> Callable:
    """`fn(first, *tables, request=…)` with the explicit signature Gradio reads (one parameter per input, then
    the request), since it injects a request only into a named parameter."""
    def handler(*args, **kwargs):
        if "request" in kwargs:
            request = kwargs["request"]
        else:  # Gradio passes it in the request parameter's place: last
            *args, request = args
        return fn(*args, request=request)

    parameters = [inspect.Parameter(f"input_{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD) for i in range(count + 1)]
    parameters.append(inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request))
    handler.__signature__ = inspect.Signature(parameters)
    handler.__annotations__ = {"request": gr.Request}
    handler.__name__ = fn.__name__
    return handler


def _unless_english(refresh: Refresh) -> Callable:
    def refresh_unless_english(*args):
        if i18n.language() == "en":  # one output takes one value, several a list
            return gr.skip() if len(refresh.outputs) == 1 else [gr.skip()] * len(refresh.outputs)
        return refresh.fn(*args)

    return refresh_unless_english

"""The page's settings in its link: a "Copy link" button, and a link that restores every tab when opened.

    specs      built from each tab's Form: what each widget accepts (its choices, bounds, step, type), and its
               default (playground/link.py encodes, decodes and validates; no Gradio there)
    copy       the current values → only those that differ from the defaults → `?tab=…&quant.bits=4…`; the
               browser puts the link in the address bar (history.replaceState), copies it to the clipboard
               when it may, and shows it in a box either way
    open       demo.load reads the page's query (gr.Request.query_params), validates it, selects the tab and
               sets the values; what could not be applied is ONE note under the header. The tabs' own load
               events that read their settings (the Quantization Lab's first run, the Studio's estimate) run
               after the link is applied, so the first figures are the link's. The restore itself runs after
               the language's page load, which sets a few inputs' default texts in the page's language.

Never in a link: the Studio's upload and pasted dataset (a file and up to megabytes of text); the note says so
when the Studio's data source is one of them.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass

import gradio as gr

from playground import i18n, link
from playground.i18n import LANGUAGES, Text, in_language
from playground.ui import language
from playground.ui.common import Form, user_errors
from playground.ui.strings import t

LEFT_OUT = {"studio": ("pasted",)}  # settings that are never in a link (uploads are files: never a setting)
OWN_DATA = ("studio", "source", ("upload", "paste"))  # a data source whose data stays with whoever chose it
TEXTBOX_CHARS = 2048  # of one text in a link (typed numbers, a prompt): the link itself is bounded at 4 KB


@dataclass
class LinkBar:
    button: gr.Button
    box: gr.Textbox
    note: gr.Markdown


def create_link_button() -> gr.Button:
    """The "Copy link" button (call where it should appear, e.g. in the header row)."""
    return gr.Button(t("link.copy"), elem_id="link-copy", scale=0, min_width=140, size="sm")


def create_link_output(button: gr.Button) -> LinkBar:
    """The box the link is shown in (hidden until the button is used) and the note about the link."""
    box = gr.Textbox(label=t("link.box"), info=t("link.box_info"), visible=False, interactive=False,
                     buttons=["copy"], elem_id="link-box")
    note = gr.Markdown("", elem_id="link-note")
    return LinkBar(button, box, note)


def setting_for(widget: gr.components.Component) -> link.Setting | None:
    """What `widget` accepts, as a link setting (None: a widget a link does not carry, e.g. a file)."""
    defaults = _defaults(widget)
    if isinstance(widget, gr.Checkbox):
        return link.Setting("bool", defaults)
    if isinstance(widget, (gr.CheckboxGroup, gr.Radio, gr.Dropdown)):
        choices = tuple(value for _, value in _choices(widget))
        multiple = isinstance(widget, gr.CheckboxGroup) or bool(getattr(widget, "multiselect", False))
        custom = bool(getattr(widget, "allow_custom_value", False))
        return link.Setting("choices" if multiple else "choice", defaults, choices=choices, custom=custom)
    if isinstance(widget, gr.Slider):
        whole = float(widget.step).is_integer() and float(widget.minimum).is_integer()
        return link.Setting("int" if whole else "float", defaults, minimum=widget.minimum, maximum=widget.maximum,
                            step=widget.step)
    if isinstance(widget, gr.Number):
        return link.Setting("int" if widget.precision == 0 else "float", defaults, minimum=widget.minimum,
                            maximum=widget.maximum)
    if isinstance(widget, gr.Textbox):
        return link.Setting("text", defaults, max_chars=min(TEXTBOX_CHARS, widget.max_length or TEXTBOX_CHARS))
    return None


def _choices(widget) -> list[tuple]:
    return [tuple(choice) if isinstance(choice, (tuple, list)) else (choice, choice) for choice in widget.choices]


def _defaults(widget) -> tuple:
    """The widget's initial value and, for a catalog text, that text in every language."""
    initial = (getattr(widget, "constructor_args", None) or {}).get("value", widget.value)
    if isinstance(initial, Text):
        return tuple(dict.fromkeys(in_language(initial.key, code, **initial.values) for code in LANGUAGES))
    return (widget.value,)


def link_widgets(forms: dict[str, Form]) -> dict[str, dict[str, gr.components.Component]]:
    """tab → setting → widget, for the settings a link carries."""
    carried = {}
    for tab, form in forms.items():
        carried[tab] = {name: widget for name, widget in form.widgets.items()
                        if name not in LEFT_OUT.get(tab, ()) and setting_for(widget) is not None}
    return carried


def specs_for(forms: dict[str, Form]) -> dict[str, dict[str, link.Setting]]:
    return {tab: {name: setting_for(widget) for name, widget in widgets.items()}
            for tab, widgets in link_widgets(forms).items()}


def page_query(request: gr.Request | None) -> str:
    """The query of the page the request came from (its own query: Gradio's client sends the page's)."""
    params = getattr(request, "query_params", None) or {}
    items = params.multi_items() if hasattr(params, "multi_items") else list(dict(params).items())
    return urllib.parse.urlencode(items)


# the tab a user is on, read from the page when the button is clicked (whoever selected it: a click, a link,
# a lesson step); the hidden box's value is the fallback
PICK_TAB = """(...values) => {
    const ids = %s;
    const selected = [...document.querySelectorAll('button[role=tab][aria-selected=true]')]
        .map(button => (button.id || '').replace(/^tab-/, '').replace(/-button$/, ''))
        .find(id => ids.includes(id));
    if (selected) values[0] = selected;
    return values;
}"""

# the link in the address bar and, where the browser allows it (https or localhost, and a permission), on the
# clipboard; a ?lang= the page was opened with is kept
COPY = """async (query) => {
    const params = new URLSearchParams(query);
    const lang = new URLSearchParams(window.location.search).get('lang');
    if (lang && !params.has('lang')) params.set('lang', lang);
    const text = params.toString().replace(/%2C/g, ',');
    const url = window.location.origin + window.location.pathname + (text ? '?' + text : '');
    try { window.history.replaceState(window.history.state, '', url); } catch (error) {}
    let copied = 'no';
    try {
        if (navigator.clipboard && window.isSecureContext) {  // a browser may leave the promise pending: 2 s at most
            const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000));
            await Promise.race([navigator.clipboard.writeText(url), timeout]);
            copied = 'yes';
        }
    } catch (error) {}
    return [url, copied];
}"""


def install(demo: gr.Blocks, bar: LinkBar, tabs: gr.Tabs, tab_items: dict[str, gr.Tab], forms: dict[str, Form],
            language_radio: gr.Radio) -> None:
    """Wire the button and the restore. Call inside `with demo:`, after the tabs and language.install."""
    demo.link_forms = forms  # the settings a link carries, by tab (for tests and tools)
    widgets = link_widgets(forms)
    specs = {tab: {name: setting_for(widget) for name, widget in named.items()} for tab, named in widgets.items()}
    flat = [(tab, name, widget) for tab, named in widgets.items() for name, widget in named.items()]
    first = next(iter(tab_items))
    tab_box = gr.Textbox(first, visible=False, elem_id="link-tab")
    copied = gr.Textbox("", visible=False, elem_id="link-copied")
    left_out = gr.State("")
    for tab_id, item in tab_items.items():
        item.select(lambda tab_id=tab_id: tab_id, None, tab_box, queue=False, api_visibility="private")

    def build(tab, *values):
        current: dict[str, dict] = {}
        for (tab_id, name, _), value in zip(flat, values):
            current.setdefault(tab_id, {})[name] = value
        encoded = link.encode(tab, current, specs)
        notes = [t("link.left_out", items="; ".join(encoded.left_out))] if encoded.left_out else []
        source_tab, source_name, own = OWN_DATA
        if current.get(source_tab, {}).get(source_name) in own:
            notes.append(t("link.own_data"))
        return gr.update(value=encoded.query, visible=True), " ".join(notes)

    def confirm(was_copied, notes):
        said = t("link.copied") if was_copied == "yes" else t("link.not_copied")
        return " ".join(part for part in (said, notes) if part)

    inputs = [tab_box, *(widget for _, _, widget in flat)]
    bar.button.click(user_errors(build), inputs, [bar.box, left_out], js=PICK_TAB % json.dumps(list(tab_items)),
                     queue=False, api_visibility="private").then(
        None, bar.box, [bar.box, copied], js=COPY, queue=False, api_visibility="private").then(
        user_errors(confirm), [copied, left_out], bar.note, queue=False, api_visibility="private")

    saved = gr.BrowserState(None, storage_key=language.STORAGE_KEY)

    @user_errors
    def restore(saved_language, request: gr.Request):
        with i18n.using(language.choose(request, saved_language)):
            decoded = link.decode(page_query(request), specs)
            updates = [gr.update(selected=decoded.tab) if decoded.tab else gr.skip(), decoded.tab or gr.skip()]
            for tab_id, name, _ in flat:
                value = decoded.values.get(tab_id, {}).get(name, _MISSING)
                updates.append(gr.skip() if value is _MISSING else gr.update(value=value))
            message = decoded.message()
            if decoded.count() and not message:
                message = t("link.restored", count=decoded.count())
            if decoded.values.get(OWN_DATA[0], {}).get(OWN_DATA[1]) in OWN_DATA[2]:
                message = " ".join(part for part in (message, t("link.own_data")) if part)
            updates.append(message if message else gr.skip())
            return updates

    restored = demo.load(restore, saved, [tabs, tab_box, *(widget for _, _, widget in flat), bar.note],
                         queue=False, api_visibility="private")
    _run_after_language(demo, restored["id"], language_radio)
    _run_after_link(demo, restored["id"], [widget for _, _, widget in flat])


_MISSING = object()


def _run_after_language(demo: gr.Blocks, restore_id: int, radio: gr.Radio) -> None:
    """Make the restore a follow-up of the language's page load (which sets some inputs' default texts in the
    page's language: a link's value must land after it, not be overwritten by it)."""
    for fn in demo.fns.values():
        if fn._id != restore_id and _load_only(fn) and any(block is radio for block in fn.outputs):
            _chain(demo.fns[restore_id], fn._id)
            return


def _run_after_link(demo: gr.Blocks, restore_id: int, widgets: list) -> None:
    """Every page-load event that only runs on load and reads a setting (the Quantization Lab's first run,
    the Studio's estimate) runs after the link has been applied, with its values; events that also run on
    a change (the adapter counts) run again by themselves when the link changes their inputs."""
    ids = {widget._id for widget in widgets}
    for fn in demo.fns.values():
        if fn._id != restore_id and _load_only(fn) and any(block._id in ids for block in fn.inputs):
            _chain(fn, restore_id)


def _load_only(fn) -> bool:
    return len(fn.targets) == 1 and fn.targets[0][1] == "load"


def _chain(fn, after_id: int) -> None:
    """Gradio's own form of `.then`: no trigger of its own, run when `after_id` has finished."""
    fn.targets = [(None, "then")]
    fn.trigger_after = after_id
    fn.trigger_only_on_success = False
    fn.trigger_only_on_failure = False

"""The lesson panel: an instructor steps through playground/lesson.py's steps; projector mode; Reset per tab.

    ◀ Previous  [step picker]  Next ▶      step k of n: what to look at, one question (its answer on a click)
    stepping    selects the step's tab, sets the settings the step names (the others keep their value), then
                recomputes that tab's views with the tab's own quick handler (found by its api_name below)
    Reset       the selected tab's settings back to their values when the page was built (the Studio's: its
                "quick" preset), then the same recompute
    projector   a class on <body> that makes the type large (CSS below), remembered in this browser
    ?lesson=1   in the link opens the panel (it starts closed, out of an anonymous visitor's way)

`create_lesson_panel(demo, tabs, forms, slot)` is called inside the Blocks once the tabs and their forms exist,
before `language.install` (its texts redraw on a language switch like every other).
"""

from __future__ import annotations

import contextlib
import inspect
import urllib.parse
from typing import Callable

import gradio as gr

from playground import lesson
from playground.ui import language
from playground.ui.common import Form
from playground.ui.strings import Text, t

# Each tab's quick view: the api_name of the event that draws its figures from its settings.
TAB_VIEWS = {"quant": "quantize_view", "adapters": "adapter_counts", "studio": "finetune_estimate"}
PROJECTOR_CLASS = "pg-projector"
PROJECTOR_KEY = "peft-playground-projector"  # localStorage
NOT_STARTED = ""  # the picker's value before the first step

# Large type for a room: Gradio's text sizes are CSS variables of its theme, so raising them scales labels,
# Markdown and buttons together; a table's cells (its measuring <table> and its virtual rows) get 18 px;
# Plotly draws its SVG text with inline sizes, which only an !important rule overrides (its layout stays as
# drawn, so the plot text grows by a third, not more).
CSS = f"""
#lesson-look, #lesson-question, #lesson-answer {{ font-size: 1.1em; line-height: 1.5; }}
#lesson-controls {{ align-items: center; }}
body.{PROJECTOR_CLASS} {{ font-size: 20px; }}
body.{PROJECTOR_CLASS} .gradio-container {{
    --text-xxs: 14px; --text-xs: 16px; --text-sm: 18px; --text-md: 20px; --text-lg: 24px; --text-xl: 30px;
    --text-xxl: 36px; --body-text-size: 20px; --prose-text-size: 20px; --block-label-text-size: 18px;
    --block-info-text-size: 17px; --block-title-text-size: 20px; --button-large-text-size: 22px;
    --button-small-text-size: 18px; --input-text-size: 20px; --checkbox-label-text-size: 20px;
    --section-header-text-size: 20px;
}}
body.{PROJECTOR_CLASS} .gradio-container :is(td, th, [role=gridcell], [role=columnheader]) {{ font-size: 18px; }}
body.{PROJECTOR_CLASS} .js-plotly-plot text {{ font-size: 16px !important; }}
body.{PROJECTOR_CLASS} .js-plotly-plot .gtitle {{ font-size: 17px !important; }}
body.{PROJECTOR_CLASS} #lesson-look, body.{PROJECTOR_CLASS} #lesson-question,
body.{PROJECTOR_CLASS} #lesson-answer {{ font-size: 22px; }}
"""

_SET_PROJECTOR = f"""(on) => {{
    document.body.classList.toggle('{PROJECTOR_CLASS}', !!on);
    try {{ localStorage.setItem('{PROJECTOR_KEY}', on ? '1' : '0'); }} catch (err) {{}}
    return [on];
}}"""
_RESTORE_PROJECTOR = f"""() => {{
    let on = false;
    try {{ on = localStorage.getItem('{PROJECTOR_KEY}') === '1'; }} catch (err) {{}}
    document.body.classList.toggle('{PROJECTOR_CLASS}', on);
    return [on];
}}"""


# --------------------------------------------------------------------------- values (no events)

def initial_value(widget: gr.components.Component):
    """A widget's value when the page was built, in the current language (a catalog text is looked up again)."""
    arguments = getattr(widget, "constructor_args", None) or {}
    value = arguments.get("value", widget.value)
    if callable(value):
        value = value()
    return value.again() if isinstance(value, Text) else value


def initial_values(form: Form) -> dict:
    """The form's settings as the page was built (what Reset restores)."""
    return {name: initial_value(widget) for name, widget in form.widgets.items()}


def step_settings(step: lesson.Step, form: Form) -> dict:
    """What a step puts in its tab's form: a named Studio preset's settings first (as choosing it does),
    then the step's own."""
    settings = {}
    preset = step.settings.get("preset")
    if preset is not None:
        from playground.ui.studio_tab import DATA_NAMES, preset_settings

        settings.update({name: value for name, value in preset_settings(preset).items()
                         if name in form.widgets and (name == "dataset" or name not in DATA_NAMES)})
    settings.update(step.settings)
    unknown = sorted(set(settings) - set(form.widgets))
    if unknown:
        raise ValueError(t("lesson.err.unknown_setting", step=step.id, tab=step.tab, names=", ".join(unknown)))
    return settings


def step_texts(step_id: str) -> tuple[str, str, str, str]:
    """(counter, look, question, answer) for a step id, or the lesson's introduction before the first step."""
    if not step_id:
        return (t("lesson.counter_start", n=len(lesson.STEPS)), t("lesson.intro"), "", "")
    index = lesson.index_of(step_id)
    step = lesson.STEPS[index]
    counter = t("lesson.counter", k=index + 1, n=len(lesson.STEPS), title=t(step.title_key))
    return counter, t(step.look_key), t("lesson.question", question=t(step.question_key)), t(step.answer_key)


# --------------------------------------------------------------------------- the panel

def _view(demo: gr.Blocks, api_name: str):
    for function in demo.fns.values():
        if function.api_name == api_name:
            return function
    raise RuntimeError(f"the lesson panel needs the event {api_name!r}; build the tabs first")


def _for_tab(tab_id: str, fn: Callable, outputs: int) -> Callable:
    """`fn`, run only when the lesson's current tab is `tab_id` (its first input); skips its outputs otherwise."""
    signature = inspect.signature(fn)
    first = inspect.Parameter("lesson_tab", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)

    def refresh(lesson_tab=None, *args, **kwargs):
        if lesson_tab != tab_id:
            return gr.skip() if outputs == 1 else [gr.skip()] * outputs
        return fn(*args, **kwargs)

    refresh.__signature__ = signature.replace(parameters=[first, *signature.parameters.values()])
    refresh.__annotations__ = dict(getattr(fn, "__annotations__", {}))
    refresh.__name__ = f"lesson_refresh_{tab_id}"
    return refresh


def create_lesson_panel(demo: gr.Blocks, tabs: gr.Tabs, forms: dict[str, Form], slot: gr.Column | None = None) -> None:
    """The lesson panel, drawn in `slot` (a column placed above the tabs) or where it is called."""
    missing = sorted(set(lesson.TABS) - set(forms))
    if missing:
        raise ValueError(f"the lesson panel needs the forms of {', '.join(missing)}")
    widgets: list = []  # every form's widgets once, in a fixed order: the stepping and Reset outputs
    for tab_id in lesson.TABS:
        for widget in forms[tab_id].widgets.values():
            if widget not in widgets:
                widgets.append(widget)
    for step in lesson.STEPS:  # a step naming a setting its tab lacks fails here, when the page is built
        step_settings(step, forms[step.tab])
    views = {tab_id: _view(demo, api_name) for tab_id, api_name in TAB_VIEWS.items()}

    with slot if slot is not None else contextlib.nullcontext():
        with gr.Accordion(t("lesson.heading"), open=False, elem_id="lesson") as panel:
            with gr.Row(elem_id="lesson-controls"):
                previous = gr.Button(t("lesson.previous"), elem_id="lesson-previous", scale=0, min_width=180)
                picker = gr.Dropdown([(t("lesson.picker_start"), NOT_STARTED)]
                                     + [(t(step.title_key), step.id) for step in lesson.STEPS],
                                     value=NOT_STARTED, label=t("lesson.picker"), show_label=False,
                                     elem_id="lesson-step", scale=3, min_width=300)
                following = gr.Button(t("lesson.next"), variant="primary", elem_id="lesson-next", scale=0,
                                      min_width=150)
                show_answer = gr.Button(t("lesson.show_answer"), elem_id="lesson-show-answer", scale=0, min_width=200)
                reset = gr.Button(t("lesson.reset"), elem_id="lesson-reset", scale=0, min_width=170)
                projector = gr.Checkbox(False, label=t("lesson.projector"), elem_id="lesson-projector", scale=1,
                                        min_width=220, container=False)
            counter, look, question, answer = step_texts(NOT_STARTED)
            counter = gr.Markdown(counter, elem_id="lesson-counter")
            look = gr.Markdown(look, elem_id="lesson-look")
            question = gr.Markdown(question, elem_id="lesson-question")
            answer = gr.Markdown(answer, visible=False, elem_id="lesson-answer")
        gr.HTML(f"<style>{CSS}</style>", elem_id="lesson-style", js_on_load=None, padding=False)
    current_tab = gr.State(lesson.TABS[0])  # the selected tab (what Reset restores)

    def changes(tab_id: str, values: dict) -> list:
        form = forms[tab_id].widgets
        named = {id(form[name]): value for name, value in values.items()}
        return [named.get(id(widget), gr.skip()) for widget in widgets]

    def go(step_id: str):
        counter_text, look_text, question_text, answer_text = step_texts(step_id)
        texts = [gr.update(value=counter_text), gr.update(value=look_text), gr.update(value=question_text),
                 gr.update(value=answer_text, visible=False)]
        if not step_id:
            return [gr.skip(), step_id, *texts, gr.skip(), *[gr.skip()] * len(widgets)]
        step = lesson.STEPS[lesson.index_of(step_id)]
        return [gr.update(selected=step.tab), step_id, *texts, step.tab,
                *changes(step.tab, step_settings(step, forms[step.tab]))]

    def by_offset(offset: int) -> Callable:
        def move(step_id: str):
            if not step_id:
                return go(lesson.STEPS[0].id if offset > 0 else NOT_STARTED)
            return go(lesson.STEPS[lesson.neighbour(lesson.index_of(step_id), offset)].id)

        move.__name__ = "lesson_next" if offset > 0 else "lesson_previous"
        return move

    def reset_tab(tab_id: str):
        return changes(tab_id, initial_values(forms[tab_id]))

    stepped = [counter, look, question, answer]
    outputs = [tabs, picker, *stepped, current_tab, *widgets]
    for event in (previous.click(by_offset(-1), picker, outputs, api_visibility="private", queue=False),
                  following.click(by_offset(+1), picker, outputs, api_visibility="private", queue=False),
                  picker.input(go, picker, outputs, api_visibility="private", queue=False),
                  reset.click(reset_tab, current_tab, widgets, api_visibility="private", queue=False)):
        for tab_id, view in views.items():  # then the tab's figures, from its new settings
            event = event.then(_for_tab(tab_id, view.fn, len(view.outputs)), [current_tab, *view.inputs],
                               view.outputs, api_visibility="private", concurrency_id=view.concurrency_id)
    show_answer.click(lambda: gr.update(visible=True), None, answer, api_visibility="private", queue=False)
    for tab in tabs.children:  # a tab chosen by a click, a link or a step
        if isinstance(tab, gr.Tab) and tab.id in forms:
            tab.select(_constant(tab.id), None, current_tab, api_visibility="private", queue=False)
    projector.input(None, projector, None, js=_SET_PROJECTOR)
    demo.load(None, None, projector, js=_RESTORE_PROJECTOR)
    demo.load(_open_from_link, None, panel, api_visibility="private", queue=False)
    language.on_change(lambda step_id: [gr.update(value=text) for text in step_texts(step_id)], [picker], stepped)


def _constant(value) -> Callable:
    def chosen_tab():
        return value

    return chosen_tab


def _open_from_link(request: gr.Request):
    """?lesson=1 (any value but 0) in the page's link opens the panel: the load request's own query, or that
    of the page it came from (its Referer)."""
    params = getattr(request, "query_params", None) or {}
    wanted = params.get(lesson.LINK_KEY) if hasattr(params, "get") else None
    if wanted is None:
        headers = getattr(request, "headers", None) or {}
        query = urllib.parse.urlparse(headers.get("referer", "") if hasattr(headers, "get") else "").query
        wanted = (urllib.parse.parse_qs(query).get(lesson.LINK_KEY) or [None])[0]
    return gr.update(open=True) if wanted not in (None, "", "0") else gr.skip()

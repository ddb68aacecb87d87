"""Assembles the tabs into one Gradio app. Nothing heavy happens here: models load on first use."""

from __future__ import annotations

import gradio as gr

from playground.settings import LIMITS
from playground.ui import language
from playground.ui import link as link_ui
from playground.ui.adapters_tab import create_adapters_tab
from playground.ui.chat_tab import create_chat_tab
from playground.ui.learned_tab import create_learned_tab
from playground.ui.lesson import create_lesson_panel
from playground.ui.quant_tab import create_quant_tab
from playground.ui.runs_tab import create_runs_tab
from playground.ui.strings import t
from playground.ui.studio_tab import create_studio_tab

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="amber")
CSS = """
.pg-formula { font-family: ui-monospace, monospace; }

/* Larger base type: body text 16 px (the theme's 14), labels and help texts one step up with it. */
:root:root {
    --text-xs: 12px; --text-sm: 14px; --text-md: 16px; --text-lg: 18px;
    --body-text-size: 16px; --prose-text-size: 16px;
}

/* The header: the title takes a line of its own on a narrow screen; the language switch and Copy link wrap
   below it. */
#page-header { flex-wrap: wrap; row-gap: 8px; }
#page-title { flex: 1 1 340px; min-width: min(340px, 100%); }
#link-copy { align-self: center; }
#link-note:empty, #link-note .prose:empty { display: none; }

/* Tables never squeeze a column below its longest word: a table is at least 760 px wide (Gradio sizes its
   columns from that width) and scrolls sideways inside its block when the screen is narrower; words wrap
   only between words (Korean too: keep-all). */
.table-container { overflow-x: auto !important; }
.table-wrap { min-width: 760px; }
th, td, th *, td * { overflow-wrap: normal !important; word-break: keep-all !important; }
.prose table { display: block; max-width: 100%; overflow-x: auto; }

/* Phones: Plotly's toolbar would sit on the figures' titles (drag to zoom and double-tap to reset still work). */
@media (max-width: 640px) {
    .js-plotly-plot .modebar-container { display: none !important; }
}
"""


def build_demo() -> gr.Blocks:
    # Uploads and other files in Gradio's cache are deleted once they are older than a session may live.
    cache_sweep = (max(60, LIMITS.session_ttl_s // 10), LIMITS.session_ttl_s)
    with gr.Blocks(title=t("app.title"), delete_cache=cache_sweep) as demo:
        with gr.Row(equal_height=True, elem_id="page-header"):
            gr.Markdown(t("app.header"), elem_id="page-title")
            radio = language.language_radio()
            copy_link = link_ui.create_link_button()
        link_bar = link_ui.create_link_output(copy_link)
        owner = gr.BrowserState("", storage_key="peft-playground-owner")  # the Studio's owner token
        lesson_slot = gr.Column(elem_id="lesson-slot")  # the lesson panel, above the tabs (filled once the forms exist)
        # "wrap": on a narrow screen the tab buttons wrap onto a second row instead of hiding behind "•••"
        with gr.Tabs(overflow_behavior="wrap", elem_id="tabs") as tabs:
            with gr.Tab(t("tab.quant"), id="quant", elem_id="tab-quant") as quant_item:
                quant_form = create_quant_tab(demo)
            with gr.Tab(t("tab.adapters"), id="adapters", elem_id="tab-adapters") as adapters_item:
                adapters_form = create_adapters_tab()
            with gr.Tab(t("tab.studio"), id="studio", elem_id="tab-studio") as studio_item:
                studio_form = create_studio_tab(demo, owner)
            # the owner's runs side by side, chat and arena, what an adapter learned: no settings of their own in a link
            with gr.Tab(t("tab.runs"), id="runs", elem_id="tab-runs") as runs_item:
                create_runs_tab(demo, owner, runs_item)
            with gr.Tab(t("tab.chat"), id="chat", elem_id="tab-chat") as chat_item:
                create_chat_tab(demo, owner, chat_item)
            with gr.Tab(t("tab.learned"), id="learned", elem_id="tab-learned") as learned_item:
                create_learned_tab(demo, owner, learned_item)
        # each tab's settings, by tab id and setting name: what a link, a lesson step and Reset set
        forms = {"quant": quant_form, "adapters": adapters_form, "studio": studio_form}
        tab_items = {"quant": quant_item, "adapters": adapters_item, "studio": studio_item, "runs": runs_item,
                     "chat": chat_item, "learned": learned_item}
        create_lesson_panel(demo, tabs, forms, slot=lesson_slot)
        language.install(demo, radio)
        link_ui.install(demo, link_bar, tabs, tab_items, forms, radio)
    for fn in demo.fns.values():  # a component's callable value (redrawn per page load) is the page's, not the API's
        if str(fn.api_name or "").startswith("lambda") and fn.api_visibility == "public":
            fn.api_visibility = "private"
    # Quick actions run many at once; long jobs set their own concurrency ids and limits.
    demo.queue(default_concurrency_limit=8, max_size=256)
    return demo

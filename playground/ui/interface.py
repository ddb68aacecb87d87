"""Assembles the tabs into one Gradio app. Nothing heavy happens here: models load on first use."""

from __future__ import annotations

import gradio as gr

from playground.settings import LIMITS
from playground.ui import language
from playground.ui.adapters_tab import create_adapters_tab
from playground.ui.quant_tab import create_quant_tab
from playground.ui.strings import t
from playground.ui.studio_tab import create_studio_tab

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="amber")
CSS = """
.pg-formula { font-family: ui-monospace, monospace; }
"""


def build_demo() -> gr.Blocks:
    # Uploads and other files in Gradio's cache are deleted once they are older than a session may live.
    cache_sweep = (max(60, LIMITS.session_ttl_s // 10), LIMITS.session_ttl_s)
    with gr.Blocks(title=t("app.title"), delete_cache=cache_sweep) as demo:
        with gr.Row(equal_height=True):
            gr.Markdown(t("app.header"))
            radio = language.language_radio()
        owner = gr.BrowserState("", storage_key="peft-playground-owner")  # the Studio's owner token
        with gr.Tabs():
            with gr.Tab(t("tab.quant"), id="quant", elem_id="tab-quant"):
                quant_form = create_quant_tab(demo)
            with gr.Tab(t("tab.adapters"), id="adapters", elem_id="tab-adapters"):
                adapters_form = create_adapters_tab()
            with gr.Tab(t("tab.studio"), id="studio", elem_id="tab-studio"):
                studio_form = create_studio_tab(demo, owner)
        # each tab's settings, by tab id and setting name: what a link, a lesson step and Reset set
        forms = {"quant": quant_form, "adapters": adapters_form, "studio": studio_form}  # noqa: F841
        language.install(demo, radio)
    # Quick actions run many at once; long jobs set their own concurrency ids and limits.
    demo.queue(default_concurrency_limit=8, max_size=256)
    return demo

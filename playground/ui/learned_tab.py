"""The What it learned tab (placeholder until built)."""

from __future__ import annotations

import gradio as gr

from playground.ui.strings import t


def create_learned_tab(demo: gr.Blocks, owner: gr.BrowserState, tab: gr.Tab) -> None:
    """Builds the tab inside `tab`; `owner` is the Studio's owner token (see studio_tab)."""
    gr.Markdown(t("tab.learned"))

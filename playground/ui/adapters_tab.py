import gradio as gr


def create_adapters_tab() -> None:
    gr.Markdown("Adapter vs LoRA")

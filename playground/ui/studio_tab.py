import gradio as gr


def create_studio_tab(demo: gr.Blocks) -> None:
    gr.Markdown("QLoRA Studio")

import gradio as gr


def create_quant_tab() -> None:
    gr.Markdown("Quantization Lab")

"""Gradio UI: one module per tab, assembled by `interface.build_demo`. Core logic lives outside this package."""

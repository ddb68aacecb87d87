"""Take a run home: its adapter with a model card, the merged model, GGUF files for llama.cpp and Ollama,
optionally pushed to the Hub. From a run folder (the Studio's per run, or what `python -m playground.finetune
--out` writes), in the UI (playground/ui/export_panel.py) or from the command line:

    python -m playground.export RUN_DIR --format adapter|merged|gguf-f16|gguf-q8_0|gguf-q4_0 --out PATH

    run_folder  read_run(RUN_DIR): the adapter and metrics.json, checked
    merge       the adapter merged into the dequantized 4-bit base, in the base's original precision
    gguf_file   GGUFWriter: llama metadata, tokenizer, chat template, llama.cpp's tensor names and layout
    ollama      the Modelfile beside a GGUF
    card        the model card (README.md) of every export
    exporter    export_run(): one format into one folder, its size bounded before work and its time measured
    session     the Studio's exports: in the session's folder, one at a time, within its disk limit
    hub         push a folder to the Hub (private by default; the token never kept)
"""

from playground.export.exporter import FORMATS, ExportResult, estimate_bytes, export_run
from playground.export.run_folder import RunFolder, read_run

__all__ = ["FORMATS", "ExportResult", "RunFolder", "estimate_bytes", "export_run", "read_run"]

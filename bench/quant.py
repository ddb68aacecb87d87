"""Quantization Lab speed: NF4 against bitsandbytes and the fixed formats (GGUF Q4_0 / Q4_1 / Q8_0, MXFP4)
against gguf.quants on the same CPU, the tab's server time, figure sizes, and the whole-model view. Ratios are measured in one run, repeats interleaved so load affects both sides."""

from __future__ import annotations

import time

import torch

BIG = 1 << 22
TAB_VALUES = 1 << 20


def _interleaved(functions: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Best-of-`repeats` (wall seconds, process CPU seconds) of each function, called in turn after a warm-up.

    The best run is the one least disturbed by other work on a shared machine, and CPU time does not count
    the time the process waited for a core; calling the functions in turn exposes both sides of a ratio to
    the same conditions."""
    wall: dict[str, list[float]] = {name: [] for name in functions}
    cpu: dict[str, list[float]] = {name: [] for name in functions}
    for function in functions.values():
        function()
    for _ in range(repeats):
        for name, function in functions.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            function()
            wall[name].append(time.perf_counter() - start_wall)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: (min(wall[name]), min(cpu[name])) for name in functions}


def _four_bit_rows(repeats: int) -> list[tuple[str, str, str]]:
    import bitsandbytes.functional as bnbf

    from playground.quant import quantize

    x = torch.randn(BIG)
    rows = []
    for scheme, nested in (("nf4", False), ("fp4", False), ("nf4", True)):
        def bnb_round_trip(scheme=scheme, nested=nested):
            packed, state = bnbf.quantize_4bit(x, blocksize=64, quant_type=scheme, compress_statistics=nested)
            return bnbf.dequantize_4bit(packed, state)

        def ours(scheme=scheme, nested=nested):
            return quantize(x, scheme, blocksize=64, double_quant=nested).dequantized

        best = _interleaved({"bnb": bnb_round_trip, "ours": ours}, repeats)
        name = f"{scheme.upper()}{' + DQ' if nested else ''} quantize + dequantize, 2^22 fp32, blocks of 64"
        for kind, column in (("wall", 0), ("CPU", 1)):
            bnb_seconds, our_seconds = best["bnb"][column], best["ours"][column]
            rows.append((name, f"{kind} time: bitsandbytes 0.50.2 / playground.quant / ratio",
                         f"{bnb_seconds * 1000:.0f} ms / {our_seconds * 1000:.0f} ms / {our_seconds / bnb_seconds:.2f}×"))
    return rows


def _format_rows(repeats: int) -> list[tuple[str, str, str]]:
    """Each fixed format's quantize + dequantize against gguf 0.19's numpy reference on the same 2^22 float32
    values (rows of 2048); gguf has no NVFP4 quantizer, so NVFP4 is timed alone."""
    from importlib.metadata import version

    from gguf import GGMLQuantizationType, quants

    from playground.quant import FORMATS, quantize

    x = torch.randn(BIG)
    rows_of = x.numpy().reshape(-1, 2048)
    types = {"q4_0": GGMLQuantizationType.Q4_0, "q4_1": GGMLQuantizationType.Q4_1,
             "q8_0": GGMLQuantizationType.Q8_0, "mxfp4": GGMLQuantizationType.MXFP4}
    rows = []
    for name in FORMATS:
        def ours(name=name):
            return quantize(x, name).dequantized

        functions = {"ours": ours}
        if name in types:
            def reference(kind=types[name]):
                return quants.dequantize(quants.quantize(rows_of, kind), kind)

            functions["gguf"] = reference
        best = _interleaved(functions, repeats)
        benchmark = f"{name.upper()} quantize + dequantize, 2^22 fp32"
        for kind, column in (("wall", 0), ("CPU", 1)):
            mine = best["ours"][column]
            if "gguf" in best:
                theirs = best["gguf"][column]
                rows.append((benchmark, f"{kind} time: gguf {version('gguf')} / playground.quant / ratio",
                             f"{theirs * 1000:.0f} ms / {mine * 1000:.0f} ms / {mine / theirs:.2f}×"))
            else:
                rows.append((benchmark, f"{kind} time: playground.quant (gguf has no NVFP4 quantizer)",
                             f"{mine * 1000:.0f} ms"))
    return rows


def _tab_rows(repeats: int) -> list[tuple[str, str, str]]:
    from playground.quant import synthetic
    from playground.quant.plots import lab_figures
    from playground.ui import quant_tab

    arguments = dict(
        source="synthetic", distribution="normal", size=TAB_VALUES, seed=0, outlier_fraction=0.01,
        outlier_magnitude=10.0, model_id="tiny/llama", layer=None, numbers="", schemes=["absmax", "zeropoint", "nf4", "fp4"],
        bits=4, granularity="block", blocksize="64", double_quant=False, block=-1,
    )

    def whole_tab():
        outputs = quant_tab.run_quantize(arguments, progress=None)
        return [output.to_json() for output in outputs if hasattr(output, "to_json")]  # what Gradio sends: the figures' JSON

    wall, cpu = _interleaved({"tab": whole_tab}, repeats)["tab"]
    rows = [("Quantization Lab run: 2^20 values, 4 schemes, blocks of 64", "server time incl. figure JSON: wall / CPU",
             f"{wall * 1000:.0f} ms / {cpu * 1000:.0f} ms")]
    from playground import quant

    x = synthetic("normal+outliers", BIG, seed=0)
    largest = 0
    for blocksize in (64, None):
        results = [quant.quantize(x, scheme, bits=8, blocksize=blocksize) for scheme in quant.SCHEMES]
        for figure in lab_figures(x, results).values():
            largest = max(largest, len(figure.to_json()))
    rows.append((f"Figures for 2^22 values, {len(quant.SCHEMES)} schemes (int8 levels)", "largest figure JSON",
                 f"{largest / 1000:.0f} KB"))
    return rows


def _model_rows(quick: bool) -> list[tuple[str, str, str]]:
    from playground import models
    from playground.quant import model_view as quant_model
    from playground.quant import QuantSpec

    model = models.load_model(models.BUNDLED_ID).model
    specs = [QuantSpec("absmax", bits=4, blocksize=64), QuantSpec("zeropoint", bits=4, blocksize=64),
             QuantSpec("nf4", blocksize=64), QuantSpec("fp4", blocksize=64)]
    def run(sample):
        for _ in quant_model.layer_errors(model, specs, rows_per_layer=sample):
            pass

    chosen = {"128 random rows per layer": lambda: run(128)}
    if not quick:
        chosen["every weight"] = lambda: run(None)
    best = _interleaved(chosen, 1 if quick else 2)
    return [("Whole-model view: SmolLM2-135M, 210 linear layers × 4 schemes", f"{label}: wall / CPU",
             f"{wall:.2f} s / {cpu:.2f} s") for label, (wall, cpu) in best.items()]


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    repeats = 3 if quick else 11
    return _four_bit_rows(repeats) + _format_rows(repeats) + _tab_rows(repeats) + _model_rows(quick)


if __name__ == "__main__":
    for benchmark, measure, value in rows():
        print(f"{benchmark:<66} {measure:<58} {value}")

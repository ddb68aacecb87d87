"""The study notes' examples, ready to load into the Quantization Lab (no Gradio).

Each example is a full set of the lab's settings, named by the tab's form widgets (`source`, `numbers`,
`schemes`, `bits`, `granularity`, `blocksize`, `double_quant`, `block`, …), plus the figures the lab must show
for it: the notes' numbers (absmax int8 codes 28, −12, −101, …; zero-point c = 26.2887 and zero point −15;
4 + 32/64 = 4.5 → 4 + 8/64 + 32/(64·256) = 4.127 bits). `measure` computes the same figures with the real
`quantize`, so a test (and anyone) can check that an example shows what it promises. Labels and "what to
look at" texts: `quant.example.<name>` and `quant.example.<name>.look` in playground/texts/quant.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from playground import models
from playground.quant.schemes import SCHEMES, metrics, parse_numbers, quantize, synthetic

NOTES_VECTOR = "1.2, -0.5, -4.3, 1.2, -3.1, 0.8, 2.4, 5.4"  # one small vector for absmax and zero-point
OUTLIER_VECTOR = "0.1, -0.3, 0.2, 0.05, -0.15, 0.25, -0.1, 20"  # seven small values and one outlier
LESSON_LAYER = "model.layers.0.self_attn.q_proj"

DEFAULT_SCHEMES = ["absmax", "zeropoint", "nf4", "fp4"]  # the tab's default choice, however many schemes exist
# The lab's settings an example does not name keep these values (the tab's defaults).
BASE: dict = dict(
    source="synthetic", distribution="normal", size=65536, seed=0, outlier_fraction=0.01, outlier_magnitude=10.0,
    model_id=None, layer=None, numbers=NOTES_VECTOR, schemes=DEFAULT_SCHEMES, bits=4,
    granularity="block", blocksize="64", double_quant=False, block=-1,
)


@dataclass(frozen=True)
class Example:
    """One example: `settings` for the lab's form and `figures` it shows, by scheme label then figure name.

    Figure names: codes (list), multiplier (c), zero_point, absmax, bits_per_param, bits_breakdown,
    rmse, relative_rmse (‖x̂ − x‖ / ‖x‖), max_abs_error, codes_used, entropy, relative_rmse_below (an upper bound).
    """

    name: str
    settings: dict
    figures: dict[str, dict] = field(default_factory=dict)

    @property
    def values(self) -> dict:
        """Every lab setting: the example's over BASE."""
        return {**BASE, **self.settings}


def _typed(numbers: str, schemes: list[str], bits: int = 8) -> dict:
    return dict(source="typed", numbers=numbers, schemes=schemes, bits=bits, granularity="tensor")


EXAMPLES: tuple[Example, ...] = (
    Example(
        "absmax_zeropoint",
        _typed(NOTES_VECTOR, ["absmax", "zeropoint"]),
        {
            "absmax int8": {"absmax": 5.4, "multiplier": 127 / 5.4, "codes": [28, -12, -101, 28, -73, 19, 56, 127],
                            "bits_breakdown": "8 + 32/8 = 12"},
            "zero-point int8": {"multiplier": 26.2887, "zero_point": -15, "codes": [17, -28, -128, 17, -96, 6, 48, 127],
                                "bits_breakdown": "8 + 64/8 = 16"},
        },
    ),
    Example(
        "outlier",
        _typed(OUTLIER_VECTOR, ["absmax"]),
        {"absmax int8": {"absmax": 20.0, "multiplier": 6.35, "codes": [1, -2, 1, 0, -1, 2, -1, 127], "codes_used": 6}},
    ),
    Example(
        "per_tensor",
        dict(distribution="normal+outliers", outlier_fraction=0.001, outlier_magnitude=20.0, schemes=["absmax", "nf4"],
             granularity="tensor"),
        {"absmax int4": {"rmse": 0.77973, "codes_used": 7, "bits_breakdown": "4 + 32/65536 = 4.0005"},
         "NF4": {"rmse": 0.49439, "codes_used": 8}},
    ),
    Example(
        "blockwise",
        dict(distribution="normal+outliers", outlier_fraction=0.001, outlier_magnitude=20.0, schemes=["absmax", "nf4"],
             granularity="block", blocksize="64"),
        {"absmax int4": {"rmse": 0.21786, "codes_used": 15, "bits_breakdown": "4 + 32/64 = 4.5"},
         "NF4": {"rmse": 0.15113, "codes_used": 16, "bits_breakdown": "4 + 32/64 = 4.5"}},
    ),
    Example(
        "nf4_levels",
        dict(schemes=["absmax", "nf4"], granularity="block", blocksize="64"),
        {"absmax int4": {"rmse": 0.10731, "entropy": 3.5066}, "NF4": {"rmse": 0.091893, "entropy": 3.8875}},
    ),
    Example(
        "double_quant",
        dict(schemes=["nf4"], granularity="block", blocksize="64", double_quant=True),
        {"NF4 + DQ": {"bits_per_param": 4.126953125, "bits_breakdown": "4 + 8/64 + 32/(64·256) = 4.127",
                      "rmse": 0.091926},
         "NF4": {"bits_per_param": 4.5, "bits_breakdown": "4 + 32/64 = 4.5", "rmse": 0.091893}},
    ),
    Example(
        "bundled_q4_1",
        dict(source="weights", model_id=models.BUNDLED_ID, layer=LESSON_LAYER, granularity="block", blocksize="32",
             schemes=[scheme for scheme in ("q4_1", "zeropoint", "nf4") if scheme in SCHEMES], bits=4),
        {"Q4_1": {"max_abs_error": 0.0, "bits_breakdown": "4 + 32/32 = 5"},
         "zero-point int4": {"relative_rmse": 0.08998, "bits_breakdown": "4 + 64/32 = 6"},
         "NF4": {"relative_rmse": 0.09210}} if "q4_1" in SCHEMES else {},
    ),
)
BY_NAME = {example.name: example for example in EXAMPLES}


def available() -> list[Example]:
    """The examples this installation can show (the bundled-model one needs the bundled package and Q4_1)."""
    return [example for example in EXAMPLES
            if example.name != "bundled_q4_1" or (models.bundled_installed() and "q4_1" in SCHEMES)]


def get(name: str) -> Example:
    if name not in BY_NAME:
        raise ValueError(f"example {name!r} is not known; choose one of {', '.join(BY_NAME)}")
    return BY_NAME[name]


def example_input(example: Example) -> torch.Tensor:
    """The values the example quantizes."""
    values = example.values
    if values["source"] == "typed":
        return parse_numbers(values["numbers"])
    if values["source"] == "weights":
        loaded = models.load_model(values["model_id"])
        return models.linear_layers(loaded.model)[values["layer"]].weight.detach().float().clone()
    return synthetic(values["distribution"], int(values["size"]), int(values["seed"]), float(values["outlier_fraction"]),
                     float(values["outlier_magnitude"]))


def _spec_arguments(values: dict) -> dict:
    granularity = values["granularity"]
    return dict(bits=int(values["bits"]), blocksize=int(values["blocksize"]) if granularity == "block" else None,
                per_row=granularity == "row")


def measure(example: Example) -> dict[str, dict]:
    """The figures the example names, measured with the real `quantize` (keyed like `example.figures`).

    A scheme label the example's schemes do not produce (like "NF4" in the double-quantization example) is
    measured with double quantization off: the "before" of a before/after.
    """
    from playground.quant.plots import bits_breakdown  # the same text the lab shows

    x = example_input(example)
    values = example.values
    arguments = _spec_arguments(values)
    results = {}
    for scheme in values["schemes"]:
        for double_quant in (False, True):
            if double_quant and not (values["double_quant"] and scheme in ("nf4", "fp4")):
                continue
            result = quantize(x, scheme, double_quant=double_quant, **arguments)
            results[result.spec.label] = result
    measured = {}
    for label, wanted in example.figures.items():
        result = results[label]
        row = metrics(x, result)
        error = float((result.dequantized - x).norm() / x.norm()) if float(x.norm()) > 0 else 0.0
        figures = {
            "codes": result.codes.reshape(-1).tolist(),
            "absmax": float(result.scales[0]) if result.spec.scheme != "zeropoint" else None,
            "multiplier": (float(result.scales[0]) if result.spec.scheme == "zeropoint"
                           else (2 ** (result.spec.bits - 1) - 1) / float(result.scales[0]) if result.scales[0] else None),
            "zero_point": None if result.zero_points is None else float(result.zero_points[0]),
            "bits_per_param": result.bits_per_param,
            "bits_breakdown": bits_breakdown(result),
            "rmse": row["rmse"],
            "codes_used": row["codes_used"],
            "entropy": row["code_entropy_bits"],
            "relative_rmse": error,
            "relative_rmse_below": error,
            "max_abs_error": row["max_abs_error"],
        }
        measured[label] = {name: figures[name] for name in wanted}
    return measured


def agrees(name: str, expected, measured, rel: float = 1e-4) -> bool:
    """An example's figure against its measurement: numbers to `rel`, an upper bound as a bound, the rest equal."""
    if name.endswith("_below"):
        return measured is not None and measured < expected
    if isinstance(expected, float):
        return measured is not None and math.isclose(expected, measured, rel_tol=rel, abs_tol=1e-12)
    return expected == measured

"""The "show the code" snippet: each variant runs, and its numbers are the lab's."""

from __future__ import annotations

import pytest
import torch

from playground import models
from playground.quant import examples, quantize, snippet
from playground.quant.snippet import snippet as make_snippet

FOUR = ["absmax", "zeropoint", "nf4", "fp4"]


def run_snippet(values: dict) -> dict:
    scope: dict = {}
    exec(compile(make_snippet(values), "<snippet>", "exec"), scope)  # noqa: S102 - the code under test
    return scope


def ours(x, scheme, values):
    granularity = values["granularity"]
    return quantize(x, scheme, bits=int(values["bits"]), double_quant=bool(values["double_quant"]) and scheme in ("nf4", "fp4"),
                    blocksize=int(values["blocksize"]) if granularity == "block" else None, per_row=granularity == "row")


VARIANTS = {
    "typed, per tensor, int8": dict(source="typed", granularity="tensor", bits=8, schemes=FOUR),
    "normal, blocks of 64, DQ": dict(granularity="block", blocksize="64", bits=4, double_quant=True, schemes=FOUR),
    "laplace, blocks of 32, short last block": dict(distribution="laplace", size=1000, seed=3, granularity="block",
                                                    blocksize="32", bits=3, schemes=FOUR),
    "outliers, per tensor, 4 bits": dict(distribution="normal+outliers", size=4096, outlier_fraction=0.01,
                                         outlier_magnitude=8.0, granularity="tensor", bits=4, schemes=FOUR),
    "tiny model weights, per row": dict(source="weights", model_id=models.TINY_ID, layer="model.layers.1.mlp.down_proj",
                                        granularity="row", bits=6, schemes=FOUR),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_each_variant_runs_and_gives_our_numbers(name):
    values = {**examples.BASE, **VARIANTS[name]}
    scope = run_snippet(values)
    x = scope["x"]
    assert torch.equal(x, examples.example_input(examples.Example("probe", VARIANTS[name])))
    for scheme in values["schemes"]:
        result = ours(x, scheme, values)
        assert torch.equal(scope[f"x_hat_{scheme}"].reshape(-1), result.dequantized.reshape(-1)), (name, scheme)
        if scheme in ("absmax", "zeropoint", "nf4") and f"codes_{scheme}" in scope:
            assert torch.equal(scope[f"codes_{scheme}"].reshape(-1).to(torch.int64),
                               result.codes.reshape(-1).to(torch.int64)), (name, scheme)


def test_the_notes_vector_in_the_snippet():
    values = {**examples.BASE, **examples.get("absmax_zeropoint").settings}
    code = make_snippet(values)
    assert "x = torch.tensor([1.2, -0.5, -4.3, 1.2, -3.1, 0.8, 2.4, 5.4])" in code
    assert "# c = 127 / absmax, q = round(c·x), x̂ = q / c" in code and "import bitsandbytes" not in code
    scope = run_snippet(values)
    assert scope["codes_absmax"].tolist() == [28, -12, -101, 28, -73, 19, 56, 127]
    assert scope["codes_zeropoint"].tolist() == [17, -28, -128, 17, -96, 6, 48, 127]


def test_blockwise_four_bit_uses_bitsandbytes_with_the_settings():
    values = {**examples.BASE, "schemes": ["nf4"], "blocksize": "128", "double_quant": True}
    code = make_snippet(values)
    assert ("F.quantize_4bit(x.flatten().contiguous(), blocksize=128, quant_type='nf4', compress_statistics=True)"
            in code)
    assert "x = torch.randn(65536, generator=torch.Generator().manual_seed(0))" in code


def test_a_hub_model_loads_with_transformers_and_long_typed_input_stays_short():
    code = make_snippet({**examples.BASE, "source": "weights", "model_id": models.HUB_ID, "layer": "model.layers.3.mlp.up_proj"})
    assert f"AutoModelForCausalLM.from_pretrained({models.HUB_ID!r}, dtype=torch.float32)" in code
    assert "model.get_submodule('model.layers.3.mlp.up_proj')" in code
    numbers = ", ".join(str(i / 10) for i in range(200))
    code = make_snippet({**examples.BASE, "source": "typed", "numbers": numbers, "schemes": ["absmax"]})
    assert len(code.splitlines()) < 15 and snippet.TYPED_VALUES_SHOWN < 200
    assert torch.equal(run_snippet({**examples.BASE, "source": "typed", "numbers": numbers, "schemes": ["absmax"]})["x"],
                       torch.tensor([i / 10 for i in range(200)]))

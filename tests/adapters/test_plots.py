"""The figures carry the numbers they claim: shapes in the drawing, counts in the sweep, medians in the bars."""

from __future__ import annotations

import pytest
from transformers import AutoConfig, GPT2Config

from playground.adapters import plots as P
from playground import adapters as A
from playground import models
from playground.adapters.latency import PAPER_TABLE1, LatencyRow


@pytest.fixture(scope="module")
def smollm_config():
    return AutoConfig.from_pretrained(models.model_dir(models.BUNDLED_ID))


def texts(fig) -> str:
    return "\n".join(a.text for a in fig.layout.annotations)


def test_forward_paths_show_real_shapes(smollm_config):
    fig = P.forward_paths_figure(smollm_config, A.MethodSettings(r=8, alpha=16, bottleneck=36, target_modules=("v", "q")), 4)
    shown = texts(fig)
    for expected in [
        "down  W: (36, 576) + b: (36)",  # adapter down-projection d→m
        "up  W: (576, 36) + b: (576)",
        "(B, T, 36)",
        "MLP sublayer (frozen)<br>576→1536→576",
        "on v_proj of layer 4",  # the first chosen target, 576→192
        "A  (8, 576)",
        "B  (192, 8)",
        "W0 (frozen)<br>(192, 576)",
        "× α/r = 2",
        "merged: W = W0 + (α/r)·B·A  (192, 576)",
        "2·36·576 + 576 + 36 = <b>42,084</b>",
        "8·(576 + 192) = <b>6,144</b>",
    ]:
        assert expected in shown, expected
    assert len(fig.layout.shapes) >= 14  # boxes, circles and the skip connection


def test_forward_paths_rslora_and_gpt2():
    rs = P.forward_paths_figure(models.tiny_config(), A.MethodSettings(r=16, alpha=16, use_rslora=True, bottleneck=8), 1)
    assert "× α/√r = 4" in texts(rs)
    gpt2 = GPT2Config(n_embd=48, n_layer=2, n_head=4, vocab_size=256)
    fig = P.forward_paths_figure(gpt2, A.MethodSettings(r=4, target_modules=("c_attn",), bottleneck=8), 0)
    assert "A  (4, 48)" in texts(fig) and "B  (144, 4)" in texts(fig)


def test_forward_paths_bad_layer(smollm_config):
    with pytest.raises(ValueError, match="layer must be 0 to 29, got 30"):
        P.forward_paths_figure(smollm_config, A.MethodSettings(bottleneck=36), 30)


def test_sweep_points_are_the_counts(smollm_config):
    settings = A.MethodSettings(target_modules=A.LLAMA_TARGETS)
    fig = P.sweep_figure(A.sweep(smollm_config, settings), 134_515_008, {"LoRA r=8": (8, 2_442_240)})
    lora = next(tr for tr in fig.data if tr.name.startswith("LoRA"))
    assert list(lora.x)[:4] == [1, 2, 4, 8]
    assert list(lora.y)[:4] == [305_280, 610_560, 1_221_120, 2_442_240]
    houlsby = next(tr for tr in fig.data if tr.name.startswith("Adapter (Houlsby)"))
    assert houlsby.y[list(houlsby.x).index(32)] == A.adapter_param_count(smollm_config, 32, "houlsby")
    star = next(tr for tr in fig.data if tr.name == "chosen: LoRA r=8")
    assert (star.x[0], star.y[0]) == (8, 2_442_240)


def test_latency_bars_are_the_medians():
    rows = [
        LatencyRow("base", 1, 16, 10.0, 9.5, 10.5, 9.0, 12.0, 5, 0.0),
        LatencyRow("adapters", 1, 16, 13.0, 12.0, 14.0, 11.0, 15.0, 5, 30.0),
        LatencyRow("lora_unmerged", 1, 16, 11.0, 10.5, 11.5, 10.0, 12.0, 5, 10.0),
        LatencyRow("lora_merged", 1, 16, 10.1, 9.9, 10.3, 9.0, 11.0, 5, 1.0),
    ]
    fig = P.latency_figure(rows)
    bars = {tr.name: tr for tr in fig.data if tr.xaxis == "x"}
    assert bars["base + adapters"].y == (13.0,)
    assert bars["base + adapters"].error_y.array == (1.0,) and bars["base + adapters"].error_y.arrayminus == (1.0,)
    overheads = [tr for tr in fig.data if tr.xaxis == "x2" and not tr.name.startswith("paper")]
    assert [tr.y[0] for tr in overheads] == [30.0, 10.0, 1.0]
    houlsby = next(tr for tr in fig.data if tr.name == "paper: Adapter (Houlsby)")
    assert [round(v, 1) for v in houlsby.y] == [3.0, 8.4, 30.3]
    assert len(houlsby.y) == len(PAPER_TABLE1["settings"])

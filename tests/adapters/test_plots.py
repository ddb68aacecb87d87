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
    adapter, lora = P.forward_paths_figures(
        smollm_config, A.MethodSettings(r=8, alpha=16, bottleneck=36, target_modules=("v", "q")), 4)
    shown = texts(adapter) + "\n" + texts(lora) + "\n" + adapter.layout.title.text + "\n" + lora.layout.title.text
    for expected in [
        "down  W: (36, 576) + b: (36)",  # adapter down-projection d→m
        "up  W: (576, 36) + b: (576)",
        "(B, T, 36)",
        "MLP sublayer (frozen)<br>576→1536→576",
        "on v_proj of layer 4",  # the first chosen target, 576→192 (in the title)
        "A  (8, 576)",
        "B  (192, 8)",
        "W0 (frozen)<br>(192, 576)",
        "× α/r = 2",
        "merged: W = W0 + (α/r)·B·A  (192, 576)",
        "2·36·576 + 576 + 36 = <b>42,084</b>",
        "8·(576 + 192) = <b>6,144</b>",
    ]:
        assert expected in shown, expected
    assert len(adapter.layout.shapes) >= 7 and len(lora.layout.shapes) >= 7  # boxes, circles, the skip connection


def test_forward_paths_survive_a_narrow_screen(smollm_config):
    """Each path is its own figure (a narrow page stacks them), every line of text short enough for a phone's
    ~360 px, and the titles start below Plotly's toolbar."""
    for fig in P.forward_paths_figures(smollm_config, A.MethodSettings(r=8, bottleneck=36), 0):
        assert fig.layout.title.y * fig.layout.height <= fig.layout.height - P.TOOLBAR_PX
        assert fig.layout.margin.t >= P.TOOLBAR_PX + 40 and fig.layout.title.xanchor == "left"
        lines = [line for a in fig.layout.annotations for line in a.text.replace("<b>", "").replace("</b>", "")
                 .split("<br>")] + fig.layout.title.text.replace("<b>", "").replace("</b>", "").split("<br>")
        assert max(len(line) for line in lines) <= 48, max(lines, key=len)
    sweep = P.sweep_figure({"x": [(1, 10), (2, 20)]}, 1000)
    assert sweep.layout.margin.t >= P.TOOLBAR_PX and sweep.layout.legend.orientation == "h"


def test_forward_paths_rslora_and_gpt2():
    rs = P.forward_paths_figures(models.tiny_config(), A.MethodSettings(r=16, alpha=16, use_rslora=True, bottleneck=8), 1)
    assert "× α/√r = 4" in texts(rs[1])
    gpt2 = GPT2Config(n_embd=48, n_layer=2, n_head=4, vocab_size=256)
    _, fig = P.forward_paths_figures(gpt2, A.MethodSettings(r=4, target_modules=("c_attn",), bottleneck=8), 0)
    assert "A  (4, 48)" in texts(fig) and "B  (144, 4)" in texts(fig)


def test_forward_paths_bad_layer(smollm_config):
    with pytest.raises(ValueError, match="layer must be 0 to 29, got 30"):
        P.forward_paths_figures(smollm_config, A.MethodSettings(bottleneck=36), 30)


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
    from playground.adapters.latency import compare_timings

    base_ms = [10.0] * 8
    rows = [
        LatencyRow("base", 1, 16, 10.0, 9.5, 10.5, 9.0, 12.0, 8, 0.0),
        LatencyRow("adapters", 1, 16, 13.0, 12.0, 14.0, 11.0, 15.0, 8, 30.0, compare_timings(base_ms, [13.0] * 8)),
        LatencyRow("lora_unmerged", 1, 16, 11.0, 10.5, 11.5, 10.0, 12.0, 8, 10.0,
                   compare_timings(base_ms, [10.5, 11.5] * 4)),
        LatencyRow("lora_merged", 1, 16, 10.1, 9.9, 10.3, 9.0, 11.0, 8, 1.0),
    ]
    fig = P.latency_figure(rows)
    bars = {tr.name: tr for tr in fig.data if tr.xaxis == "x"}
    assert bars["base + adapters"].y == (13.0,)
    assert bars["base + adapters"].error_y.array == (1.0,) and bars["base + adapters"].error_y.arrayminus == (1.0,)
    overheads = [tr for tr in fig.data if tr.xaxis == "x2" and not tr.name.startswith("paper")]
    assert [tr.y[0] for tr in overheads] == [30.0, 10.0, 1.0]
    # the pairs' IQR: +5% … +15% around the row's +10%
    assert overheads[1].error_y.array[0] == pytest.approx(5.0) and overheads[1].error_y.arrayminus[0] == pytest.approx(5.0)
    assert overheads[0].customdata[0][0] == "slower by 30.0%"
    houlsby = next(tr for tr in fig.data if tr.name == "paper: Adapter (Houlsby)")
    assert [round(v, 1) for v in houlsby.y] == [3.0, 8.4, 30.3]
    assert len(houlsby.y) == len(PAPER_TABLE1["settings"])
    assert fig.layout.margin.t >= P.TOOLBAR_PX + 20  # the subplot titles below the toolbar
    assert fig.layout.yaxis2.domain[1] < fig.layout.yaxis.domain[0]  # stacked: both keep the full width

"""The tab's handlers and its API endpoints: numbers out, messages (not stack traces) for bad input."""

from __future__ import annotations

import gradio as gr
import pytest

from playground import models
from playground.ui import adapters_tab as T

SMOLLM_SHAPE = ("loaded", models.BUNDLED_ID, 576, 1536, 30, 9, 3)
TINY_SHAPE = ("loaded", models.TINY_ID, 576, 1536, 30, 9, 3)
# r, alpha, dropout, rsLoRA, targets, bottleneck, placement, virtual tokens
METHODS = (8, 16, 0.05, False, ["q", "v"], 36, "houlsby", 20)


def test_compare_on_the_bundled_model():
    paths, params, sweep = T.compare_methods(*SMOLLM_SHAPE, *METHODS, 0)
    assert len(params) == 7
    lora_total = params[(params.method == "LoRA") & (params.module == "total")].iloc[0]
    assert lora_total["trainable"] == 57_600 * 8
    assert lora_total["fp32 bytes"] == 4 * 460_800
    adapter_total = params[params.module == "total"].iloc[1]
    assert adapter_total["trainable"] == 60 * (2 * 36 * 576 + 576 + 36)
    assert any("A  (8, 576)" in a.text for a in paths.layout.annotations)
    assert any(tr.name.startswith("LoRA (q+v)") for tr in sweep.data)


def test_custom_shape_counts_from_config_only():
    _, params, _ = T.compare_methods("custom", models.BUNDLED_ID, 576, 1536, 30, 9, 3,
                                      8, 16, 0.0, False, list("qkvo") + ["gate", "up", "down"], 36, "pfeiffer", 20, 0)
    lora_total = params[(params.method == "LoRA") & (params.module == "total")].iloc[0]
    assert lora_total["trainable"] == 2_442_240
    assert params[params.method == "Adapter (pfeiffer)"].iloc[-1]["trainable"] == 30 * (2 * 36 * 576 + 576 + 36)


@pytest.mark.parametrize(
    "change, message",
    [
        ({0: 0}, "LoRA rank must be a whole number of at least 1, got 0"),
        ({0: 999}, "r must be at most min(d_in, d_out) = min(576, 576) = 576"),
        ({5: 0}, "bottleneck size must be a whole number of at least 1, got 0"),
        ({5: 600}, "bottleneck 600 is larger than d_model = 576"),
        ({4: []}, "Choose at least one LoRA target module"),
        ({1: 0}, "LoRA alpha must be greater than 0"),
        ({1: None}, "LoRA alpha is empty"),
        ({0: 2.5}, "LoRA rank must be a whole number, got 2.5"),
    ],
)
def test_bad_input_becomes_a_message(change, message):
    methods = list(METHODS)
    for index, value in change.items():
        methods[index] = value
    with pytest.raises(gr.Error) as caught:
        T.compare_methods(*SMOLLM_SHAPE, *methods, 0)
    assert message in caught.value.message


def test_measure_on_the_tiny_model():
    outputs = list(T.measure_methods(*TINY_SHAPE, 4, 8, 0.0, False, ["q", "v"], 16, "houlsby", 10, 5))
    status, checks, latency, figure, params = outputs[-1]
    assert "Done in" in status
    assert list(checks["passed"]) == ["yes", "yes", "yes"]
    assert checks.iloc[0]["max |Δ logit|"] == "0"
    assert len(latency) == 16 and set(latency["batch"]) == {1, 4} and set(latency["seq"]) == {16, 64}
    assert (latency["median ms"] > 0).all()
    assert len(figure.data) > 4
    assert params[params.module == "total"].iloc[0]["trainable"] == 2 * 4 * ((64 + 64) + (64 + 32))


def test_measure_refuses_a_custom_shape_with_a_message():
    with pytest.raises(gr.Error, match="Latency needs real weights"):
        next(T.measure_methods("custom", models.BUNDLED_ID, 576, 1536, 30, 9, 3, *METHODS, 5))


def test_api_endpoints():
    from gradio_client import Client

    from playground.ui.interface import build_demo
    from bench.server import free_port

    demo = build_demo()
    demo.launch(prevent_thread_lock=True, quiet=True, server_port=free_port())
    try:
        client = Client(demo.local_url, verbose=False)
        paths, params, sweep = client.predict(*TINY_SHAPE, *METHODS[:5], 16, "houlsby", 20, 0, api_name="/adapter_counts")
        assert params["headers"][:2] == ["method", "module"]
        assert params["data"][2][:2] == ["LoRA", "total"] and params["data"][2][5] == 2 * 8 * ((64 + 64) + (64 + 32))
        status, checks, latency, figure, params = client.predict(
            *TINY_SHAPE, 4, 8, 0.0, False, ["q", "v"], 16, "pfeiffer", 10, 5, api_name="/adapter_vs_lora")
        assert "Done in" in status
        assert [row[-1] for row in checks["data"]] == ["yes", "yes", "yes"]
        assert len(latency["data"]) == 16 and latency["headers"][3] == "median ms"
        assert params["data"][-2][1] == "total"
    finally:
        demo.close()

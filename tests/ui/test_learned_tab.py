"""The What it learned tab's handlers, called as Gradio calls them, on a real tiny run trained through the Studio tab's
own handler (one session per test module)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from playground.finetune import learned
from playground.ui import learned_tab, studio_tab
from playground.ui.strings import t, using
from tests.ui.test_studio_tab import form

SESSION = "learned-ui"
OWNER = f"api:{SESSION}"


def request(session: str = SESSION):
    return SimpleNamespace(session_hash=session)


@pytest.fixture(scope="module")
def trained():
    """run1 of the API session "learned-ui": the tiny model, rank 4 on q and v, 3 steps."""
    outputs = list(studio_tab.finetune(form(), request=request()))
    assert "saved as run1" in outputs[-1][0]
    yield studio_tab.STUDIO.run(OWNER, "run1")
    studio_tab.STUDIO.close(OWNER)


def test_every_learned_string_is_used():
    source = open(learned_tab.__file__).read()
    assert t("learned.analyze") == "Analyze"
    for key in ("learned.intro", "learned.explorer_intro", "learned.merge_intro", "learned.explore"):
        assert f'"{key}"' in source


def test_the_run_picker_lists_the_owners_runs(trained):
    picker = learned_tab.run_picker(OWNER)
    assert picker["value"] == "run1" and picker["choices"] == [(trained.label, "run1")]
    assert learned_tab.run_picker("")["choices"] == [] and learned_tab.run_picker("")["value"] is None
    assert learned_tab.run_picker("a token of an ended session")["choices"] == []


def test_analyze_shows_the_heat_map_the_table_and_the_top_module(trained):
    summary, heatmap, table, layer, projection, spectrum = learned_tab.analyze("run1", request=request())
    analysis = learned.analyze_run(studio_tab.STUDIO.pool, trained)
    top = analysis.moved_most(1)[0]
    assert "**Rank r = 4, α = 8, scale α/r = 2**, 4 modules over 2 layers" in summary
    assert f"layer {top.layer} {top.projection}" in summary
    (trace,) = heatmap.data
    assert trace.type == "heatmap" and list(trace.x) == ["q_proj", "v_proj"] and list(trace.y) == ["0", "1"]
    assert [list(row) for row in trace.z] == analysis.matrix()
    assert "‖ΔW‖/‖W₀‖ = %{z:.4g}" in trace.hovertemplate
    assert list(table.columns) == ["layer", "projection", "‖ΔW‖/‖W₀‖", "top-1 energy", "k for 90%"]
    assert len(table) == 4 and list(table["k for 90%"]) == [m.k_for() for m in analysis.modules]
    assert layer["value"] == str(top.layer) and projection["value"] == top.projection
    bars, energy = spectrum.data
    assert list(bars.y) == top.singular_values and list(energy.y)[-1] == pytest.approx(1.0)
    other = learned_tab.spectrum("run1", "0", "q_proj", request=request())
    assert list(other.data[0].y) == analysis.module(0, "q_proj").singular_values
    assert learned_tab.spectrum("", None, None, request=request()) == gr.skip()


def test_the_rank_explorer_gives_a_loss_per_k(trained):
    text, figure, table = learned_tab.rank_explorer("run1", "1", "v_proj", 4.0, request=request())
    assert list(table["k"]) == [0, 1, 2, 3, 4]
    assert list(table.columns) == ["k", "rel. Frobenius error", "held-out loss", "vs full update"]
    assert table["rel. Frobenius error"].iloc[0] == 1.0 and table["rel. Frobenius error"].iloc[-1] == 0.0
    assert "Layer 1 v_proj:" in text and "7 forward passes over 4 held-out examples" in text
    line = figure.data[0]
    assert list(line.x) == [0, 1, 2, 3, 4] and list(line.y) == pytest.approx(list(table["held-out loss"]), abs=1e-5)
    full = [shape for shape in figure.layout.shapes if shape.line.dash == "dash"]
    assert len(full) == 1 and full[0].y0 == pytest.approx(line.y[-1], abs=1e-5)  # k = r lies on the full update


def test_the_merge_check_shows_the_number(trained):
    text = learned_tab.merge_check("run1", request=request())
    assert text.startswith("**max |Δlogit| = ") and "✓ within the tolerance 5e-04" in text
    assert float(text.removeprefix("**max |Δlogit| = ").split("**")[0]) <= 5e-4


def test_bad_input_becomes_a_message(trained):
    with pytest.raises(gr.Error, match="pick a run first"):
        learned_tab.analyze("", request=request())
    with pytest.raises(gr.Error, match="no run 'run9' in this session"):
        learned_tab.analyze("run9", request=request())
    with pytest.raises(gr.Error, match="no update on layer 0, k_proj \\(layers 0–1; projections: q_proj, v_proj\\)"):
        learned_tab.rank_explorer("run1", "0", "k_proj", 4, request=request())
    with pytest.raises(gr.Error, match="held-out examples must be a whole number from 1 to 32, got 40"):
        learned_tab.rank_explorer("run1", "0", "q_proj", 40, request=request())
    with pytest.raises(gr.Error, match="held-out examples must be a whole number"):
        learned_tab.rank_explorer("run1", "0", "q_proj", 2.5, request=request())
    with pytest.raises(gr.Error, match="pick a layer and a projection first"):
        learned_tab.rank_explorer("run1", None, None, 4, request=request())
    with pytest.raises(gr.Error, match="the layer must be a whole number, got 'x'"):
        learned_tab.rank_explorer("run1", "x", "q_proj", 4, request=request())
    with pytest.raises(gr.Error, match="no run 'run1' in this session"):  # another connection sees none of it
        learned_tab.merge_check("run1", request=request("someone else"))


def test_the_tab_speaks_korean(trained):
    with using("ko"):
        summary, heatmap, table, *_ = learned_tab.analyze("run1", request=request())
        assert "랭크 r = 4" in summary and list(table.columns)[:2] == ["레이어", "투영"]
        assert heatmap.layout.xaxis.title.text == "투영"


def test_the_tab_exposes_the_analysis_endpoints_and_keeps_its_page_helpers_private():
    with gr.Blocks() as demo:
        owner = gr.BrowserState("")
        with gr.Tab("learned") as tab:
            learned_tab.create_learned_tab(demo, owner, tab)
    dependencies = demo.config["dependencies"]
    public = {d["api_name"] for d in dependencies if d.get("api_visibility", "public") == "public"}
    assert public == {"learned_analyze", "learned_rank_sweep", "learned_merge_check"}
    assert len(dependencies) == 6  # + the run picker on tab select and on page load, the chosen module's spectrum

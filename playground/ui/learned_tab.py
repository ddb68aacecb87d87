"""What it learned tab: the singular values of a run's update ΔW per layer and projection, a heat map of how far each
moved relative to its weight, the rank explorer (held-out loss of the best rank-k truncation of one module's
update, k = 0 … r) and the merge checked as a number.

Public events: `learned_analyze` (run → summary, heat map, table, module pickers, spectrum), `learned_rank_sweep`
(run, layer, projection, examples → cost line, loss-vs-k chart, table), `learned_merge_check` (run → the max
|Δlogit|). Page helpers (private): the run picker's refresh on tab select and page load, a chosen module's
spectrum. Runs are the owner's Studio runs (`studio_tab.STUDIO`, keyed by the browser's owner token).
"""

from __future__ import annotations

import gradio as gr
import pandas as pd

from playground.checks import parse_whole_number
from playground.finetune import learned
from playground.ui.common import user_errors
from playground.ui.strings import t
from playground.ui.studio_tab import STUDIO, _owner

EXAMPLES_DEFAULT = 8  # r + 3 passes over them: ~4 min for rank 8 on the bundled model on 2 busy CPU cores


def _run(run_id: str | None, owner: str | None, request: gr.Request | None):
    if not run_id:
        raise ValueError(t("learned.err.pick_run"))
    return STUDIO.run(_owner(owner, request), run_id)


def _layer(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(t("learned.err.layer", value=repr(value))) from None


@user_errors
def run_picker(owner: str | None = None):
    """The owner's runs, the latest chosen (no session yet, or an ended one: none)."""
    try:
        runs = STUDIO.runs(owner) if owner else []
    except ValueError:
        runs = []
    return gr.update(choices=[(run.label, run.run_id) for run in runs], value=runs[-1].run_id if runs else None)


# --------------------------------------------------------------------------- figures and tables

def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def heatmap_figure(analysis: learned.AdapterAnalysis):
    """‖ΔW‖_F/‖W₀‖_F by layer (rows) and projection (columns); hover shows the value and the top-1 energy."""
    import plotly.graph_objects as go

    top1 = {(m.layer, m.projection): m.top1 for m in analysis.modules}
    text = [[(f"{100 * top1[(layer, p)]:.0f}%" if (layer, p) in top1 else "") for p in analysis.projections]
            for layer in analysis.layers]
    figure = go.Figure(go.Heatmap(
        z=analysis.matrix(), x=analysis.projections, y=[str(layer) for layer in analysis.layers], customdata=text,
        colorscale="Viridis", colorbar=dict(title=dict(text=t("learned.plot.relative_short"))),
        hovertemplate=t("learned.plot.heat_hover") + "<extra></extra>", hoverongaps=False))
    figure.update_layout(xaxis_title=t("learned.plot.projection"), yaxis_title=t("learned.plot.layer"),
                         yaxis=dict(autorange="reversed", type="category"), xaxis=dict(type="category"),
                         title=dict(text=t("learned.plot.heat_title"), font=dict(size=15)),
                         height=max(300, 140 + 18 * len(analysis.layers)), margin=dict(l=60, r=20, t=50, b=50))
    return figure


def spectrum_figure(module: learned.ModuleUpdate):
    """Bars of ΔW's singular values s_i and the cumulative energy share on a second axis (90% marked)."""
    import plotly.graph_objects as go

    ks = list(range(1, len(module.singular_values) + 1))
    figure = go.Figure()
    figure.add_bar(x=ks, y=module.singular_values, name=t("learned.plot.singular"),
                   hovertemplate="s_%{x} = %{y:.4g}<extra></extra>")
    figure.add_scatter(x=ks, y=module.energy, yaxis="y2", mode="lines+markers", name=t("learned.plot.energy"),
                       hovertemplate=t("learned.plot.energy_hover") + "<extra></extra>")
    figure.add_hline(y=learned.ENERGY_SHARE, yref="y2", line=dict(dash="dot", color="gray"))
    figure.update_layout(
        title=dict(text=t("learned.plot.spectrum_title", layer=module.layer, projection=module.projection,
                          k=module.k_for()), font=dict(size=15)),
        xaxis=dict(title=t("learned.plot.direction"), dtick=1 if len(ks) <= 32 else None),
        yaxis=dict(title=t("learned.plot.singular")),
        yaxis2=dict(title=t("learned.plot.energy"), overlaying="y", side="right", range=[0, 1.05], tickformat=".0%"),
        height=340, margin=dict(l=60, r=60, t=50, b=50), legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))
    return figure


def module_table(analysis: learned.AdapterAnalysis) -> pd.DataFrame:
    rows = [[m.layer, m.projection, round(m.relative, 5), round(m.top1, 4), m.k_for()] for m in analysis.modules]
    return pd.DataFrame(rows, columns=[t("learned.col.layer"), t("learned.col.projection"), t("learned.col.relative"),
                                       t("learned.col.top1"), t("learned.col.k90")])


def summary_markdown(analysis: learned.AdapterAnalysis) -> str:
    moved = ", ".join(t("learned.moved_item", layer=m.layer, projection=m.projection, relative=_fmt(m.relative))
                      for m in analysis.moved_most(3))
    scale = t("learned.scale_rslora" if analysis.use_rslora else "learned.scale_lora")
    return t("learned.summary", rank=analysis.rank, alpha=f"{analysis.alpha:g}", scale=scale,
             value=f"{analysis.scale:.4g}", modules=len(analysis.modules), layers=len(analysis.layers),
             median=f"{analysis.effective_rank():g}", moved=moved)


def rank_figure(sweep: learned.RankSweep):
    """Held-out loss against k, with the full update and the 4-bit base (adapter off) as reference lines."""
    import plotly.graph_objects as go

    ks = [p.k for p in sweep.points]
    losses = [p.loss for p in sweep.points]
    figure = go.Figure()
    figure.add_scatter(x=ks, y=losses, mode="lines+markers", name=t("learned.plot.truncated"),
                       customdata=[p.relative_error for p in sweep.points],
                       hovertemplate=t("learned.plot.rank_hover") + "<extra></extra>")
    figure.add_hline(y=sweep.full_loss, line=dict(dash="dash", color="#16a34a"),
                     annotation_text=t("learned.plot.full", loss=f"{sweep.full_loss:.4f}"),
                     annotation_position="bottom right")
    low, high = min(losses + [sweep.full_loss]), max(losses + [sweep.full_loss])
    span = max(high - low, 1e-6)
    base = sweep.adapter_off_loss
    if base <= high + 3 * span:  # in the chart's range: a line
        figure.add_hline(y=base, line=dict(dash="dot", color="#dc2626"),
                         annotation_text=t("learned.plot.base", loss=f"{base:.4f}"), annotation_position="top right")
        high = max(high, base)
    else:  # far above one module's effect: named at the top, so the curve keeps its scale
        figure.add_annotation(x=1, xref="paper", y=1, yref="paper", xanchor="right", yanchor="bottom",
                              showarrow=False, font=dict(color="#dc2626"),
                              text=t("learned.plot.base_above", loss=f"{base:.4f}"))
    figure.update_layout(
        title=dict(text=t("learned.plot.rank_title", layer=sweep.layer, projection=sweep.projection),
                   font=dict(size=15), x=0, xanchor="left"),
        xaxis=dict(title=t("learned.plot.k"), dtick=1 if len(ks) <= 17 else None),
        yaxis=dict(title=t("learned.plot.loss"), range=[low - 0.15 * span, high + 0.15 * span]),
        height=360, margin=dict(l=70, r=20, t=60, b=50), showlegend=False)
    return figure


def rank_table(sweep: learned.RankSweep) -> pd.DataFrame:
    rows = [[p.k, round(p.relative_error, 4), round(p.loss, 5), f"{p.loss - sweep.full_loss:+.2e}"]
            for p in sweep.points]
    return pd.DataFrame(rows, columns=[t("learned.col.k"), t("learned.col.error"), t("learned.col.loss"),
                                       t("learned.col.vs_full")])


def sweep_markdown(sweep: learned.RankSweep) -> str:
    return t("learned.sweep.text", layer=sweep.layer, projection=sweep.projection, k=sweep.k_within(),
             rank=sweep.rank, full=f"{sweep.full_loss:.4f}", off=f"{sweep.points[0].loss:.4f}",
             base=f"{sweep.adapter_off_loss:.4f}", passes=sweep.passes, examples=sweep.examples,
             tokens=f"{sweep.tokens:,}", seconds=f"{sweep.seconds:.1f}")


def merge_markdown(check: learned.MergeCheck) -> str:
    verdict = t("learned.merge.within" if check.passed else "learned.merge.outside")
    return t("learned.merge.text", max_abs=f"{check.max_abs:.2e}", relative=f"{check.relative:.2e}",
             max_logit=f"{check.max_logit:.3g}", tolerance=f"{check.tolerance:.0e}", verdict=verdict,
             served=f"{check.served_max_abs:.2e}", prompts=check.prompts, tokens=f"{check.tokens:,}",
             seconds=f"{check.seconds:.1f}")


# --------------------------------------------------------------------------- handlers

def _module_pickers(analysis: learned.AdapterAnalysis, module: learned.ModuleUpdate):
    return (gr.update(choices=[(str(layer), str(layer)) for layer in analysis.layers], value=str(module.layer)),
            gr.update(choices=analysis.projections, value=module.projection))


@user_errors
def analyze(run_id: str, owner: str | None = None, request: gr.Request = None):
    """(summary, heat map, module table, layer picker, projection picker, spectrum of the module that moved most)."""
    analysis = learned.served(learned.analyze_run, STUDIO.pool, _run(run_id, owner, request))
    top = analysis.moved_most(1)[0]
    return (summary_markdown(analysis), heatmap_figure(analysis), module_table(analysis),
            *_module_pickers(analysis, top), spectrum_figure(top))


@user_errors
def spectrum(run_id: str, layer, projection: str, owner: str | None = None, request: gr.Request = None):
    """The chosen module's singular values and energy (nothing until a run is analyzed and a module chosen)."""
    if not run_id or layer in (None, "") or not projection:
        return gr.skip()
    analysis = learned.served(learned.analyze_run, STUDIO.pool, _run(run_id, owner, request))
    return spectrum_figure(analysis.module(_layer(layer), projection))


@user_errors
def rank_explorer(run_id: str, layer, projection: str, examples, owner: str | None = None,
                  request: gr.Request = None):
    """(what was measured and its cost, held-out loss vs k chart, table of k, relative error, loss)."""
    run = _run(run_id, owner, request)
    if layer in (None, "") or not projection:
        raise ValueError(t("learned.err.pick_module"))
    count = parse_whole_number(examples, t("learned.field.examples"))
    sweep = learned.served(learned.rank_sweep_run, STUDIO.pool, run, _layer(layer), projection, count)
    return sweep_markdown(sweep), rank_figure(sweep), rank_table(sweep)


@user_errors
def merge_check(run_id: str, owner: str | None = None, request: gr.Request = None) -> str:
    return merge_markdown(learned.merge_check_run(_run(run_id, owner, request)))


def create_learned_tab(demo: gr.Blocks, owner: gr.BrowserState, tab: gr.Tab) -> None:
    """Builds the tab inside `tab`; `owner` is the Studio's owner token (see studio_tab)."""
    gr.Markdown(t("learned.intro"))
    with gr.Row():
        run = gr.Dropdown([], value=None, allow_custom_value=True, label=t("learned.run"), info=t("learned.run_info"), scale=3,
                          elem_id="learned-run")
        with gr.Column(scale=1, min_width=160):
            analyze_button = gr.Button(t("learned.analyze"), variant="primary", elem_id="learned-analyze")
    summary = gr.Markdown(elem_id="learned-summary")
    heatmap = gr.Plot(label=t("learned.heatmap"), elem_id="learned-heatmap")
    table = gr.Dataframe(headers=[t("learned.col.layer"), t("learned.col.projection"), t("learned.col.relative"),
                                  t("learned.col.top1"), t("learned.col.k90")],
                         label=t("learned.table"), interactive=False, max_height=300, elem_id="learned-table")
    gr.Markdown(t("learned.module_intro"))
    with gr.Row():
        layer = gr.Dropdown([], value=None, allow_custom_value=True, label=t("learned.layer"), elem_id="learned-layer")
        projection = gr.Dropdown([], value=None, allow_custom_value=True, label=t("learned.projection"), elem_id="learned-projection")
    spectrum_plot = gr.Plot(label=t("learned.spectrum"), elem_id="learned-spectrum")
    gr.Markdown(t("learned.explorer_intro"), elem_id="learned-explorer-intro")
    with gr.Row():
        with gr.Column(scale=2):
            examples = gr.Slider(1, learned.MAX_EXAMPLES, value=EXAMPLES_DEFAULT, step=1, label=t("learned.examples"),
                                 info=t("learned.examples_info"), elem_id="learned-examples")
            explore_button = gr.Button(t("learned.explore"), variant="primary", elem_id="learned-explore")
            sweep_text = gr.Markdown(elem_id="learned-sweep")
        with gr.Column(scale=3):
            rank_plot = gr.Plot(label=t("learned.rank_plot"), elem_id="learned-rank-plot")
    rank_rows = gr.Dataframe(headers=[t("learned.col.k"), t("learned.col.error"), t("learned.col.loss"),
                                      t("learned.col.vs_full")], label=t("learned.rank_table"), interactive=False,
                             max_height=360, elem_id="learned-rank-table")
    gr.Markdown(t("learned.merge_intro"))
    with gr.Row(equal_height=True):
        merge_button = gr.Button(t("learned.merge"), scale=1, elem_id="learned-merge")
        merge_text = gr.Markdown(elem_id="learned-merge-result")

    tab.select(run_picker, owner, run, api_visibility="private", show_progress="hidden")
    demo.load(run_picker, owner, run, api_visibility="private", show_progress="hidden")
    analyze_button.click(analyze, [run, owner], [summary, heatmap, table, layer, projection, spectrum_plot],
                         api_name="learned_analyze", concurrency_id="learned_analyze", concurrency_limit=2)
    gr.on([layer.input, projection.input], spectrum, [run, layer, projection, owner], spectrum_plot,
          api_visibility="private", trigger_mode="always_last")
    explore_button.click(rank_explorer, [run, layer, projection, examples, owner], [sweep_text, rank_plot, rank_rows],
                         api_name="learned_rank_sweep", concurrency_id="learned_sweep", concurrency_limit=1)
    merge_button.click(merge_check, [run, owner], merge_text, api_name="learned_merge_check",
                       concurrency_id="learned_merge", concurrency_limit=1)

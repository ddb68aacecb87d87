"""Figures for the Quantization Lab: plain data in, plotly figures out (no Gradio).

Nothing here ships raw millions of points to the browser: histograms are counted on the server and sent
as bars, transfer curves are drawn from the levels and boundaries (a staircase has 2 points per level),
and error-against-value plots a fixed-size random subsample. Every figure stays well under 200 KB of JSON.
Titles, axis titles, trace names and hover words come from playground/texts/quant.py, in the language
current when the figure is drawn.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import torch

from playground.checks import QUANT_TYPES
from playground.i18n import t
from playground.quant import QuantResult, code_histogram, nf4_derivation, one_thread

HISTOGRAM_BINS = 120
SCATTER_POINTS = 1500  # per scheme, for error-against-value
PALETTE = ("#4f46e5", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#65a30d")


def _color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _layout(fig: go.Figure, title: str, height: int = 360, legend: bool = True) -> go.Figure:
    # Styled by hand rather than with a named template: a template is deep-copied into every figure
    # (slow) and adds ~8 KB of JSON to each.
    fig.update_layout(
        title={"text": title, "x": 0.01, "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12},
               "font": {"size": 15}},
        template=None,
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "Inter, system-ui, sans-serif", "size": 12, "color": "#1f2937"},
        height=height,
        margin={"l": 60, "r": 20, "t": 92 if legend or "<br>" in title else 62, "b": 45},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0, "font": {"size": 11}},
        hoverlabel={"bgcolor": "white"},
    )
    fig.update_xaxes(gridcolor="#e5e7eb", zerolinecolor="#cbd5e1", linecolor="#cbd5e1")
    fig.update_yaxes(gridcolor="#e5e7eb", zerolinecolor="#cbd5e1", linecolor="#cbd5e1")
    return fig


def _stacked(traces_per_row: list[list[dict]], titles: list[str], title: str, row_height: int = 170,
             shared_x: bool = True) -> go.Figure:
    """Rows of small plots sharing one x axis, laid out by hand (make_subplots is slow to build)."""
    rows = len(traces_per_row)
    gap = 0.32 / max(rows, 1)
    height = (1 - gap * (rows - 1)) / rows
    layout: dict = {"annotations": []}
    data = []
    for row, traces in enumerate(traces_per_row):
        suffix = "" if row == 0 else str(row + 1)
        top = 1 - row * (height + gap)
        layout[f"yaxis{suffix}"] = {"domain": [max(top - height, 0.0), min(top, 1.0)], "anchor": f"x{suffix}"}
        layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", **({"matches": "x"} if shared_x and row else {})}
        layout["annotations"].append(
            {"text": titles[row], "x": 0, "xref": "paper", "y": top, "yref": "paper", "xanchor": "left",
             "yanchor": "bottom", "showarrow": False, "font": {"size": 12}}
        )
        data += [{**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"} for trace in traces]
    return _layout(go.Figure(data=data, layout=layout), title, height=110 + row_height * rows, legend=False)


def _selection(result: QuantResult, block: int | None) -> slice:
    if block is None:
        return slice(0, result.numel)
    start, stop = result.block_range(block)
    return slice(start, stop)


def _values(x: torch.Tensor, result: QuantResult, block: int | None) -> np.ndarray:
    return x.reshape(-1)[_selection(result, block)].float().numpy()


def _vertical_lines(xs: np.ndarray, top: float) -> tuple[np.ndarray, np.ndarray]:
    """One trace for many vertical lines: x, x, nan, … (a few numbers per line)."""
    count = len(xs)
    line_x = np.repeat(xs.astype(np.float32), 3)
    line_x[2::3] = np.nan
    line_y = np.tile(np.array([0, top, np.nan], dtype=np.float32), count)
    return line_x, line_y


def _level_block(result: QuantResult, block: int | None) -> int:
    return result.widest_block() if block is None else block


def value_histogram(x: torch.Tensor, results: list[QuantResult], block: int | None = None) -> go.Figure:
    """The values (bars) with each scheme's levels (solid) and decision boundaries (dotted), one row per scheme."""
    values = _values(x, results[0], block)
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
    centers = ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
    top = float(counts.max()) if counts.size else 1.0
    low, high = float(values.min()), float(values.max())
    pad = 0.02 * (high - low or 1.0)
    rows, titles = [], []
    values_name, boundaries_name = t("quant.plot.values"), t("quant.plot.boundaries")
    level_hover = t("quant.plot.level") + " %{x:.4g}<extra></extra>"
    for index, result in enumerate(results):
        shown = _level_block(result, block)
        titles.append(result.spec.label if result.block_count == 1
                      else t("quant.plot.levels_of_block", label=result.spec.label, block=shown))
        _, levels = result.block_levels(shown)
        boundaries = result.block_boundaries(shown)
        boundary_x, boundary_y = _vertical_lines(boundaries[(boundaries >= low - pad) & (boundaries <= high + pad)], top)
        level_x, level_y = _vertical_lines(levels[(levels >= low - pad) & (levels <= high + pad)], top)
        rows.append([
            {"type": "bar", "x": centers, "y": counts.astype(np.float32), "marker": {"color": "#94a3b8"},
             "name": values_name, "showlegend": index == 0, "width": float(edges[1] - edges[0])},
            {"type": "scatter", "x": boundary_x, "y": boundary_y, "mode": "lines", "hoverinfo": "skip",
             "line": {"color": "#64748b", "width": 1, "dash": "dot"}, "name": boundaries_name,
             "showlegend": index == 0},
            {"type": "scatter", "x": level_x, "y": level_y, "mode": "lines",
             "name": t("quant.plot.levels_of", label=result.spec.label),
             "line": {"color": _color(index), "width": 1.5}, "hovertemplate": level_hover},
        ])
    scope = t("quant.plot.whole_tensor") if block is None else t("quant.plot.block", block=block)
    fig = _stacked(rows, titles, t("quant.plot.histogram_title", scope=scope, count=len(values)))
    fig.update_layout(bargap=0)
    return fig


def _staircase(levels: np.ndarray, boundaries: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """x → x̂ over [low, high] drawn exactly: flat at each level between its two boundaries."""
    edges = np.concatenate([[low], boundaries[(boundaries > low) & (boundaries < high)], [high]])
    first = int(np.searchsorted(boundaries, low, side="left"))
    steps = levels[first : first + len(edges) - 1]
    xs = np.repeat(edges, 2)[1:-1]
    ys = np.repeat(steps, 2)
    return xs.astype(np.float32), ys.astype(np.float32)


def transfer_curve(x: torch.Tensor, results: list[QuantResult], block: int | None = None) -> go.Figure:
    """The staircase x → x̂ of each scheme, over the range of the shown values."""
    values = _values(x, results[0], block)
    low, high = float(values.min()), float(values.max())
    if high == low:
        low, high = low - 1.0, high + 1.0
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=[low, high], y=[low, high], mode="lines", line={"color": "#94a3b8", "dash": "dash"},
                   name="x̂ = x")
    )
    for index, result in enumerate(results):
        shown = _level_block(result, block)
        _, levels = result.block_levels(shown)
        xs, ys = _staircase(levels, result.block_boundaries(shown), low, high)
        fig.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", line={"color": _color(index), "width": 2},
                       name=result.spec.label, hovertemplate="x %{x:.4g} → x̂ %{y:.4g}<extra></extra>")
        )
    scope = t("quant.plot.widest_block") if block is None else t("quant.plot.block", block=block)
    fig.update_xaxes(title_text="x")
    fig.update_yaxes(title_text=t("quant.plot.dequantized_axis"))
    return _layout(fig, t("quant.plot.transfer_title", scope=scope), height=400)


def _errors(x: torch.Tensor, result: QuantResult, block: int | None) -> np.ndarray:
    selection = _selection(result, block)
    return (result.dequantized.reshape(-1)[selection] - x.reshape(-1)[selection].float()).numpy()


def error_histogram(x: torch.Tensor, results: list[QuantResult], block: int | None = None) -> go.Figure:
    """How the errors x̂ − x are distributed, per scheme (shared bins, counted on the server)."""
    errors = [_errors(x, result, block) for result in results]
    reach = max(float(np.abs(error).max()) for error in errors) or 1.0
    edges = np.linspace(-reach, reach, HISTOGRAM_BINS + 1)
    centers = ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
    fig = go.Figure()
    error_hover = t("quant.plot.error") + " %{x:.3g}: %{y:.2%}<extra></extra>"
    for index, (result, error) in enumerate(zip(results, errors)):
        counts, _ = np.histogram(error, bins=edges)
        fig.add_trace(
            go.Scatter(x=centers, y=(counts / max(len(error), 1)).astype(np.float32), mode="lines",
                       line={"shape": "hvh", "color": _color(index), "width": 2}, name=result.spec.label,
                       hovertemplate=error_hover)
        )
    fig.update_xaxes(title_text=t("quant.plot.error_axis"))
    fig.update_yaxes(title_text=t("quant.plot.share_axis"), tickformat=".0%")
    return _layout(fig, t("quant.plot.error_histogram_title"))


def error_vs_value(x: torch.Tensor, results: list[QuantResult], block: int | None = None, seed: int = 0) -> go.Figure:
    """Error against value on a random subsample (the same values for every scheme)."""
    values = _values(x, results[0], block)
    generator = np.random.default_rng(seed)
    picked = np.sort(generator.choice(len(values), size=min(SCATTER_POINTS, len(values)), replace=False))
    fig = go.Figure()
    for index, result in enumerate(results):
        error = _errors(x, result, block)
        fig.add_trace(
            go.Scattergl(x=values[picked].astype(np.float32), y=error[picked].astype(np.float32), mode="markers",
                         marker={"size": 4, "color": _color(index), "opacity": 0.6}, name=result.spec.label)
        )
    if len(picked) == len(values):
        title = t("quant.plot.error_vs_value_title")
    else:
        title = t("quant.plot.error_vs_value_sampled_title", picked=len(picked), total=len(values))
    fig.update_xaxes(title_text="x")
    fig.update_yaxes(title_text=t("quant.plot.error_axis"))
    return _layout(fig, title)


def code_usage(results: list[QuantResult]) -> go.Figure:
    """How often each code is used, codes ordered by their level (low to high)."""
    rows, titles = [], []
    code_hover = t("quant.plot.code") + " %{x}: %{y:.2%}<extra></extra>"
    for index, result in enumerate(results):
        codes, counts = code_histogram(result)
        shares = counts / max(counts.sum(), 1)
        if result.spec.scheme in QUANT_TYPES:
            order, _ = result.block_levels(0)
            codes, shares = order, shares[order]
        used = shares[shares > 0]
        entropy = float(-(used * np.log2(used)).sum())
        titles.append(t(
            "quant.plot.code_usage_row", label=result.spec.label, used=int((counts > 0).sum()),
            total=result.spec.code_count, entropy=entropy, max_bits=math.log2(result.spec.code_count),
        ))
        rows.append([
            {"type": "bar", "x": [str(int(code)) for code in codes], "y": shares.astype(np.float32),
             "marker": {"color": _color(index)}, "showlegend": False,
             "hovertemplate": code_hover},
        ])
    fig = _stacked(rows, titles, t("quant.plot.code_usage_title"), shared_x=False)
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(type="category", tickfont={"size": 9})
    return fig


def nf4_derivation_figure() -> go.Figure:
    """The 16 NF4 levels as quantiles of N(0, 1): where each comes from on the density."""
    derivation = nf4_derivation()
    z = derivation["z"]
    grid = np.linspace(-2.6, 2.6, 261)
    density = np.exp(-(grid**2) / 2) / math.sqrt(2 * math.pi)
    at_levels = np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=grid, y=density, mode="lines", line={"color": "#94a3b8", "width": 2}, name=t("quant.plot.density_trace")))
    line_x, _ = _vertical_lines(z, 1.0)
    line_y = np.repeat(at_levels, 3).astype(np.float32)
    line_y[0::3] = 0
    line_y[2::3] = np.nan
    fig.add_trace(go.Scatter(x=line_x, y=line_y, mode="lines", line={"color": PALETTE[0], "width": 1}, showlegend=False, hoverinfo="skip"))
    hover = [
        str(t("quant.plot.nf4_hover", index=index, p=float(p), z=float(zz), top=float(z.max()), level=float(level)))
        for index, (p, zz, level) in enumerate(zip(derivation["probability"], z, derivation["level"]))
    ]
    fig.add_trace(
        go.Scatter(x=z, y=at_levels, mode="markers+text", marker={"size": 9, "color": PALETTE[0]},
                   text=[f"{level:.2f}" for level in derivation["level"]], textposition="top center",
                   textfont={"size": 9}, hovertext=hover, hoverinfo="text", name=t("quant.plot.nf4_levels_trace"))
    )
    fig.update_xaxes(title_text=t("quant.plot.nf4_x_axis"))
    fig.update_yaxes(title_text=t("quant.plot.density_axis"))
    return _layout(fig, t("quant.plot.nf4_title"), height=380)


def layer_error_figure(rows: list[dict]) -> go.Figure:
    """Relative RMSE per linear layer (rows of model_layer_errors), one line per scheme."""
    fig = go.Figure()
    schemes = list(dict.fromkeys(row["scheme"] for row in rows))
    relative_rmse = t("quant.plot.relative_rmse")
    for index, scheme in enumerate(schemes):
        mine = [row for row in rows if row["scheme"] == scheme]
        fig.add_trace(
            go.Scatter(x=np.arange(len(mine)), y=np.array([row["relative_rmse"] for row in mine], dtype=np.float32),
                       mode="lines+markers", marker={"size": 4}, line={"color": _color(index), "width": 1.5},
                       name=scheme, customdata=[row["layer"] for row in mine],
                       hovertemplate="%{customdata}<br>" + relative_rmse + " %{y:.3%}<extra>" + scheme + "</extra>")
        )
    fig.update_xaxes(title_text=t("quant.plot.layer_axis"))
    fig.update_yaxes(title_text=t("quant.plot.relative_error_axis"), tickformat=".1%")
    title = t("quant.plot.layer_errors_title", count=len(rows) // max(len(schemes), 1))
    return _layout(fig, title, height=420)


@one_thread
def lab_figures(x: torch.Tensor, results: list[QuantResult], block: int | None = None) -> dict[str, go.Figure]:
    """Every figure of one Quantization Lab run, by name."""
    if block is not None:
        results[0].block_range(block)  # a block that does not exist fails here, with a message
    return {
        "histogram": value_histogram(x, results, block),
        "transfer": transfer_curve(x, results, block),
        "error_histogram": error_histogram(x, results, block),
        "error_vs_value": error_vs_value(x, results, block),
        "code_usage": code_usage(results),
    }

"""Figures for the Quantization Lab: plain data in, plotly figures out (no Gradio).

Nothing here ships raw millions of points to the browser: histograms are counted on the server and sent
as bars, transfer curves are drawn from the levels and boundaries (a staircase has 2 points per level),
and error-against-value plots a fixed-size random subsample. Every figure stays well under 200 KB of JSON.
Titles, axis titles, trace names and hover words come from playground/texts/quant.py, in the language
current when the figure is drawn.

Beside the figures, `formula` writes each scheme's formula with the numbers of the block shown substituted
(c = 127 / 5.4 = 23.5185, q = round(23.5185 · 1.2) = 28, …), taken from the QuantResult itself, and
`bits_breakdown` the cost per value as codes + constants (4 + 32/64 = 4.5).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import torch

from playground.checks import QUANT_TYPES
from playground.i18n import t
from playground.quant import formats
from playground.quant import DQ_BLOCKSIZE, FP4_CODE, NF4_CODE, QuantResult, code_histogram, nf4_derivation, one_thread

HISTOGRAM_BINS = 120
SCATTER_POINTS = 1500  # per scheme, for error-against-value
MAX_LEVEL_LINES = 48  # more levels than this in view are too close to see as lines: the row says so instead
PALETTE = ("#4f46e5", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#65a30d")


# code index → level, for the 4-bit tables whose codes are not in level order (NF4's are; labelled alike)
FOUR_BIT_TABLES = {"nf4": NF4_CODE, "fp4": FP4_CODE, "mxfp4": formats.E2M1_CODE, "nvfp4": formats.E2M1_CODE}


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


def _own_block(results: list[QuantResult], result: QuantResult, block: int | None) -> int | None:
    """The block picked is a block of the first scheme (a range of values); for a scheme with another block
    length (NVFP4's 16 beside 32 or 64), the block of its own that holds that range's first value."""
    if block is None or result.block_length == results[0].block_length:
        return block
    return result.block_of(results[0].block_range(block)[0])


def level_block_title(result: QuantResult, block: int | None) -> str:
    """What a row of levels shows: the one block, the block picked, or (whole tensor) the widest block."""
    if result.block_count == 1:
        return result.spec.label
    if block is None:
        return t("quant.plot.levels_of_widest", label=result.spec.label, block=result.widest_block())
    return t("quant.plot.levels_of_block", label=result.spec.label, block=block)


def value_histogram(x: torch.Tensor, results: list[QuantResult], block: int | None = None) -> go.Figure:
    """The values (bars) with each scheme's levels (solid) and decision boundaries (dotted), one row per scheme.

    Levels are drawn only when at most MAX_LEVEL_LINES of them fall in view (255 int8 lines would paint the
    bars solid); otherwise the row's title says how many there are.
    """
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
        shown = _level_block(result, _own_block(results, result, block))
        title = level_block_title(result, _own_block(results, result, block))
        _, levels = result.block_levels(shown)
        boundaries = result.block_boundaries(shown)
        levels = levels[(levels >= low - pad) & (levels <= high + pad)]
        boundaries = boundaries[(boundaries >= low - pad) & (boundaries <= high + pad)]
        if len(levels) > MAX_LEVEL_LINES:
            title += " · " + t("quant.plot.levels_hidden", count=len(levels))
            levels, boundaries = levels[:0], boundaries[:0]
        titles.append(title)
        boundary_x, boundary_y = _vertical_lines(boundaries, top)
        level_x, level_y = _vertical_lines(levels, top)
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
        shown = _level_block(result, _own_block(results, result, block))
        _, levels = result.block_levels(shown)
        xs, ys = _staircase(levels, result.block_boundaries(shown), low, high)
        name = result.spec.label if result.block_count == 1 else t("quant.plot.scheme_block", label=result.spec.label,
                                                                                   block=shown)
        fig.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", line={"color": _color(index), "width": 2},
                       name=name, hovertemplate="x %{x:.4g} → x̂ %{y:.4g}<extra></extra>")
        )
    scope = t("quant.plot.widest_block") if block is None else t("quant.plot.block", block=block)
    fig.update_xaxes(title_text="x")
    fig.update_yaxes(title_text=t("quant.plot.dequantized_axis"))
    return _layout(fig, t("quant.plot.transfer_title", scope=scope), height=400)


def _errors(x: torch.Tensor, result: QuantResult, block: int | None, first: QuantResult | None = None) -> np.ndarray:
    """x̂ − x over the block picked (a block of `first`, the first scheme, when given), else over everything."""
    selection = _selection(first or result, block)
    return (result.dequantized.reshape(-1)[selection] - x.reshape(-1)[selection].float()).numpy()


def error_histogram(x: torch.Tensor, results: list[QuantResult], block: int | None = None) -> go.Figure:
    """How the errors x̂ − x are distributed, per scheme (shared bins, counted on the server)."""
    errors = [_errors(x, result, block, results[0]) for result in results]
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
        error = _errors(x, result, block, results[0])
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


def level_label(level: float) -> str:
    """A level as an axis label: 3 significant digits, the sign of −0 kept (FP4 has both zeros)."""
    text = f"{level:.3g}"
    return text if not (level == 0 and math.copysign(1.0, level) < 0) else "-0"


def code_usage(results: list[QuantResult]) -> go.Figure:
    """How often each code is used, codes ordered by their level (low to high).

    Integer codes are their own labels (code q stands for level q / c). A 4-bit table's codes are not in
    level order (FP4's code 11 is −1), so those bars are labelled by the level they stand for, in units of
    the block's absmax; hovering shows the code.
    """
    rows, titles = [], []
    for index, result in enumerate(results):
        codes, counts = code_histogram(result)
        shares = counts / max(counts.sum(), 1)
        table = FOUR_BIT_TABLES.get(result.spec.scheme)
        if table is not None:
            order = np.argsort(table.numpy(), kind="stable")
            labels = [level_label(float(level)) for level in table[order]]
            codes, shares = codes[order], shares[order]
            hover = t("quant.plot.level") + " %{x} · " + t("quant.plot.code") + " %{customdata}: %{y:.2%}<extra></extra>"
        elif result.spec.code_count > 32:  # int8: 255 codes on a numeric axis, ticks spaced by plotly
            labels = [int(code) for code in codes]
            hover = t("quant.plot.code") + " %{x}: %{y:.2%}<extra></extra>"
        else:
            labels = [str(int(code)) for code in codes]
            hover = t("quant.plot.code") + " %{x}: %{y:.2%}<extra></extra>"
        used = shares[shares > 0]
        entropy = float(-(used * np.log2(used)).sum())
        titles.append(t(
            "quant.plot.code_usage_row", label=result.spec.label, used=int((counts > 0).sum()),
            total=result.spec.code_count, entropy=entropy, max_bits=math.log2(result.spec.code_count),
        ))
        rows.append([
            {"type": "bar", "x": labels, "y": shares.astype(np.float32), "customdata": [int(code) for code in codes],
             "marker": {"color": _color(index)}, "showlegend": False, "hovertemplate": hover},
        ])
    fig = _stacked(rows, titles, t("quant.plot.code_usage_title"), shared_x=False)
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(tickfont={"size": 9})
    for row, result in enumerate(results):  # level labels are categories (FP4 has "0" and "-0"); many int codes an axis
        many = result.spec.scheme not in FOUR_BIT_TABLES and result.spec.code_count > 32
        fig.layout[f"xaxis{'' if row == 0 else row + 1}"].type = "linear" if many else "category"
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


# --------------------------------------------------------------------------- formulas beside the figures


def number(value: float, digits: int = 6) -> str:
    """A number as the formulas show it: `digits` significant digits, a true minus sign."""
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        text = str(int(value))
    else:
        text = f"{value:.{digits}g}"
    return text.replace("-", "−")


def _operand(value: float) -> str:
    """A number inside a formula: negatives in parentheses (5.4 − (−4.3))."""
    text = number(value)
    return f"({text})" if text.startswith("−") else text


def bits_breakdown(result: QuantResult) -> str:
    """Bits per value as codes + constants, e.g. "4 + 32/64 = 4.5", "4 + 8/64 + 32/(64·256) = 4.127"."""
    count, blocks, length = result.numel, result.block_count, result.block_length
    code_bits = int(result.spec.code_bits)
    total = f"{result.bits_per_param:.4f}".rstrip("0").rstrip(".")
    even = count == blocks * length  # every block full: the constants are spread over `length` values each
    if result.spec.double_quant:
        second = math.ceil(blocks / DQ_BLOCKSIZE)
        if even and blocks % DQ_BLOCKSIZE == 0:
            return f"{code_bits} + 8/{length} + 32/({length}·{DQ_BLOCKSIZE}) = {total}"
        return f"{code_bits} + (8·{blocks} + 32·{second})/{count} = {total}"
    fixed = getattr(result.spec, "fixed", False)
    tensor_bits = formats.FORMAT_TENSOR_BITS[result.spec.scheme] if fixed else 0  # NVFP4's one fp32 scale
    tensor = f" + {tensor_bits}/{count}" if tensor_bits else ""
    if fixed and not even:  # GGUF stores whole blocks: the short last one is padded, and counted whole
        constant_bits = formats.FORMAT_BLOCK_CONSTANT_BITS[result.spec.scheme]
        return f"{blocks}·({length}·{code_bits} + {constant_bits})/{count}{tensor} = {total}"
    constant_bits = (result.total_bits - count * code_bits - tensor_bits) // max(blocks, 1)
    if even:
        return f"{code_bits} + {constant_bits}/{length}{tensor} = {total}"
    return f"{code_bits} + {constant_bits}·{blocks}/{count} = {total}"


def _fixed_format_numbers(result: QuantResult, block: int, block_values: torch.Tensor) -> dict:
    """The block constants of a fixed format (playground/quant/formats.py), as the format computes and stores them."""
    scheme, values = result.spec.scheme, block_values.float()
    stored = float(result.scales[block])  # fp16 d (GGUF), or the decoded E8M0 / E4M3 scale
    code = int(result.codes.reshape(-1)[block * result.block_length])
    numbers: dict = {"stored": stored}
    if scheme == "q4_0":
        high, low = float(values.max()), float(values.min())
        signed_max = low if -low > high else high
        numbers.update(max=signed_max, d=float(torch.tensor(signed_max) / -8))
    elif scheme == "q4_1":
        high, low = float(values.max()), float(values.min())
        numbers.update(max=high, min=low, d=float((torch.tensor(high) - low) / 15), m=float(result.zero_points[block]))
    elif scheme == "q8_0":
        absmax = float(values.abs().max())
        numbers.update(absmax=absmax, d=float(torch.tensor(absmax) / 127))
    else:  # mxfp4, nvfp4: E2M1 codes times the block's scale
        numbers.update(absmax=float(values.abs().max()), level=float(formats.E2M1_CODE[code]))
        if scheme == "mxfp4":
            numbers.update(exponent=int(result.scale_codes[block]) - 127, scale_code=int(result.scale_codes[block]))
        else:
            tensor_scale = float(result.tensor_scale)
            numbers.update(tensor_scale=tensor_scale, raw=numbers["absmax"] / (formats.E2M1_MAX * tensor_scale))
    return numbers


def _fixed_format_lines(scheme: str, numbers: dict) -> list[str]:
    """Three lines (constants, code, x̂) with every number of `numbers` substituted by name."""
    texts = {name: number(value) for name, value in numbers.items() if isinstance(value, (int, float))}
    for name in ("min", "m", "level", "max", "stored"):  # numbers that appear after an operator: negatives in parentheses
        if name in numbers:
            texts[name] = _operand(numbers[name])
    texts.update(x=_operand(numbers["value"]), q=number(numbers["code"]), xhat=number(numbers["dequantized"]))
    if scheme in ("q4_0", "q4_1", "q8_0"):
        keys = (f"{scheme}_d", f"{scheme}_q", f"{scheme}_dq")
    else:
        keys = (f"{scheme}_scale", f"{scheme}_q", f"{scheme}_dq")
    return [t(f"quant.formula.{key}", **texts) for key in keys]


def formula(x: torch.Tensor, result: QuantResult, block: int | None = None) -> dict:
    """The scheme's formula for the block shown (the one picked, else the widest), with its numbers.

    Returns the numbers (block constants, then the first value of the block through scaled → code → x̂,
    all read from `result`) and `lines`, the formula texts with those numbers substituted.
    """
    shown = _level_block(result, block)
    start, stop = result.block_range(shown)
    flat = x.reshape(-1).float()
    block_values = flat[start:stop]
    value = float(flat[start])
    scaled = float(result.scaled.reshape(-1)[start])
    code = int(result.codes.reshape(-1)[start])
    dequantized = float(result.dequantized.reshape(-1)[start])
    spec, scheme = result.spec, result.spec.scheme
    numbers: dict = {"block": shown, "index": start, "value": value, "scaled": scaled, "code": code,
                     "dequantized": dequantized}
    x_text, q_text, hat = _operand(value), number(code), number(dequantized)
    if scheme == "absmax":
        top = 2 ** (spec.bits - 1) - 1
        absmax = float(result.scales[shown])
        multiplier = top / absmax if absmax > 0 else 0.0
        numbers.update(absmax=absmax, multiplier=multiplier, top=top)
        lines = [
            t("quant.formula.absmax_c", top=top, absmax=number(absmax), c=number(multiplier)),
            t("quant.formula.absmax_q", c=number(multiplier), x=x_text, scaled=number(scaled), q=q_text),
            t("quant.formula.absmax_dq", q=_operand(code), c=number(multiplier), xhat=hat),
        ]
    elif scheme == "zeropoint":
        levels = 2**spec.bits - 1
        half = 2 ** (spec.bits - 1)
        low, high = float(block_values.double().min()), float(block_values.double().max())
        multiplier = float(result.scales[shown])
        zero_point = float(result.zero_points[shown])
        exact = levels / (high - low) if high > low else 1.0  # float64, as schemes computes it
        numbers.update(min=low, max=high, multiplier=multiplier, zero_point=zero_point, shifted=-exact * low)
        lines = [
            t("quant.formula.zeropoint_c", levels=levels, max=number(high), min=_operand(low), c=number(multiplier)),
            t("quant.formula.zeropoint_zp", half=half, raw=number(-exact * low), zp=number(zero_point)),
            t("quant.formula.zeropoint_q", low=number(-half), high=half - 1, c=number(multiplier), x=x_text,
              zp=_operand(zero_point), scaled=number(scaled), q=q_text),
            t("quant.formula.zeropoint_dq", q=q_text, zp=_operand(zero_point), c=number(multiplier), xhat=hat),
        ]
    elif scheme in QUANT_TYPES:
        absmax = float(result.scales[shown])  # after double quantization when it is on
        original = float(block_values.abs().max())
        level = float(FOUR_BIT_TABLES[scheme][code])
        numbers.update(absmax=absmax, block_absmax=original, level=level)
        lines = [
            t("quant.formula.four_bit_scale", x=x_text, absmax=number(original), scaled=number(scaled),
              name=spec.label.split()[0], level=number(level), q=q_text),
            t("quant.formula.four_bit_dq", level=_operand(level), absmax=number(absmax), xhat=hat),
        ]
        if spec.double_quant:
            absmax_code = int(result.absmax_codes[shown])
            numbers.update(absmax_code=absmax_code, dq_offset=float(result.dq_offset))
            lines.append(t("quant.formula.double_quant", absmax=number(original), offset=number(result.dq_offset),
                           code=absmax_code, restored=number(absmax)))
    else:
        numbers.update(_fixed_format_numbers(result, shown, block_values))
        lines = _fixed_format_lines(scheme, numbers)
    numbers["bits"] = result.bits_per_param
    lines.append(t("quant.formula.bits", breakdown=bits_breakdown(result)))
    return {"scheme": spec.label, "numbers": numbers, "lines": lines}


def formulas_markdown(x: torch.Tensor, results: list[QuantResult], block: int | None = None) -> str:
    """Every chosen scheme's formula, substituted, as one Markdown text for the panel beside the figures."""
    parts = []
    for result in results:
        shown = formula(x, result, _own_block(results, result, block))
        numbers = shown["numbers"]
        where = (t("quant.formula.where_widest", block=numbers["block"]) if block is None and result.block_count > 1
                 else t("quant.formula.where", block=numbers["block"]))
        parts.append(f"**{shown['scheme']}** · {where}\n\n" + "\n".join(f"- {line}" for line in shown["lines"]))
    return "\n\n".join(parts)

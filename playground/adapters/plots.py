"""Figures for the Adapter vs LoRA tab: pure data in, plotly figure out (no Gradio here).

    forward_paths_figures  the adapter's serial path and LoRA's parallel path, every tensor with its shape
    sweep_figure           trainable parameters against rank / bottleneck / virtual tokens
    latency_figure         measured forward latency per variant, and the overheads beside the LoRA paper's
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground import adapters as A
from playground.adapters.latency import PAPER_TABLE1, LatencyRow
from playground.i18n import t

FROZEN = "#e5e7eb"  # grey: frozen base weights
TRAINABLE = "#fde68a"  # amber: trainable parameters
TENSOR = "#e0e7ff"  # indigo: activations
OP = "#ffffff"
VARIANT_COLORS = {
    "base": "#6b7280",
    "adapters": "#dc2626",
    "lora_unmerged": "#f59e0b",
    "lora_merged": "#4f46e5",
}
# The paper's methods (PAPER_TABLE1's rows) drawn beside the measurements, and the text key of each.
PAPER_METHODS = {"Adapter (Houlsby)": "adapters.plot.paper_houlsby", "Adapter (Lin)": "adapters.plot.paper_lin"}


def variant_label(variant: str) -> str:
    """What the figures and tables call a variant ("base + adapters"), in the current language."""
    return t(f"adapters.variant.{variant}")


class _Canvas:
    """Boxes, arrows and labels on one plotly figure with a fixed 0..100 × 0..100 coordinate system."""

    def __init__(self) -> None:
        self.fig = go.Figure()

    def box(self, x: float, y: float, text: str, fill: str, width: float = 18, height: float = 6.5) -> None:
        self.fig.add_shape(type="rect", x0=x - width / 2, x1=x + width / 2, y0=y - height / 2, y1=y + height / 2,
                           line=dict(color="#374151", width=1), fillcolor=fill, layer="below")
        self.fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=11))

    def circle(self, x: float, y: float, text: str, radius: float = 2.2) -> None:
        self.fig.add_shape(type="circle", x0=x - radius, x1=x + radius, y0=y - radius * 1.1, y1=y + radius * 1.1,
                           line=dict(color="#374151", width=1), fillcolor=OP, layer="below")
        self.fig.add_annotation(x=x, y=y, text=f"<b>{text}</b>", showarrow=False, font=dict(size=14))

    def arrow(self, x0: float, y0: float, x1: float, y1: float, label: str = "", dash: bool = False) -> None:
        self.fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                                showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.3,
                                arrowcolor="#9ca3af" if dash else "#374151")
        if label:
            self.fig.add_annotation(x=(x0 + x1) / 2 + 1, y=(y0 + y1) / 2, text=label, showarrow=False,
                                    xanchor="left", font=dict(size=10, color="#4338ca"))

    def text(self, x: float, y: float, text: str, size: int = 12, anchor: str = "center") -> None:
        self.fig.add_annotation(x=x, y=y, text=text, showarrow=False, xanchor=anchor, font=dict(size=size))


def _shape(*dims) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


# Plotly's toolbar sits in the top 30 px of a figure: titles start below it.
TOOLBAR_PX = 34
DIAGRAM_HEIGHT = 600


def _diagram_layout(canvas: "_Canvas", title: str) -> go.Figure:
    """A 0..100 canvas under a left-aligned title that clears the toolbar (two short lines: narrow screens)."""
    canvas.fig.update_layout(
        title=dict(text=title, x=0.02, xanchor="left", xref="container", yref="container",
                   y=1 - TOOLBAR_PX / DIAGRAM_HEIGHT, yanchor="top", font=dict(size=14)),
        xaxis=dict(range=[0, 100], visible=False, fixedrange=True),
        yaxis=dict(range=[0, 100], visible=False, fixedrange=True),
        height=DIAGRAM_HEIGHT, margin=dict(l=6, r=6, t=TOOLBAR_PX + 46, b=6), plot_bgcolor="white", showlegend=False,
    )
    return canvas.fig


def forward_paths_figures(config, settings: A.MethodSettings, layer: int = 0) -> tuple[go.Figure, go.Figure]:
    """One block's adapter (serial) path and LoRA (parallel) path, with the real tensor shapes: two figures, so a
    narrow screen stacks them and each keeps the full width for its labels."""
    settings.check_for(config)
    if not 0 <= layer < A.num_layers(config):
        raise ValueError(t("adapters.err.layer_range", last=A.num_layers(config) - 1, value=repr(layer)))
    return adapter_path_figure(config, settings, layer), lora_path_figure(config, settings, layer)


def adapter_path_figure(config, settings: A.MethodSettings, layer: int = 0) -> go.Figure:
    """The adapter after the MLP (both placements put one there): serial, with its internal skip."""
    d = config.hidden_size
    m = settings.bottleneck
    d_ff = getattr(config, "intermediate_size", None) or 4 * d
    canvas = _Canvas()
    ax = 54
    canvas.box(ax, 93, t("adapters.plot.mlp", d=d, d_ff=d_ff), FROZEN, 58, 8)
    canvas.arrow(ax, 89, ax, 81.5, f"h {_shape('B', 'T', d)}")
    canvas.box(ax, 78, f"down  W: {_shape(m, d)} + b: ({m})", TRAINABLE, 62)
    canvas.arrow(ax, 74.5, ax, 67.5, _shape("B", "T", m))
    canvas.box(ax, 64, f"σ = {settings.activation}", OP, 24)
    canvas.arrow(ax, 60.5, ax, 53.5, _shape("B", "T", m))
    canvas.box(ax, 50, f"up  W: {_shape(d, m)} + b: ({d})", TRAINABLE, 62)
    canvas.arrow(ax, 46.5, ax, 39.4, _shape("B", "T", d))
    canvas.circle(ax, 37, "+", 3)
    skip_x = 12
    canvas.fig.add_shape(type="path", path=f"M {ax},85 L {skip_x},85 L {skip_x},37 L {ax - 3},37",
                         line=dict(color="#6b7280", width=1.3, dash="dot"))
    canvas.fig.add_annotation(x=skip_x - 1.5, y=61, text=t("adapters.plot.skip"), showarrow=False, textangle=-90,
                              font=dict(size=11))
    canvas.arrow(ax, 34, ax, 26.5, f"h + up(σ(down h))<br>{_shape('B', 'T', d)}")
    canvas.box(ax, 23, t("adapters.plot.residual"), OP, 58)
    per_adapter = 2 * m * d + d + m
    canvas.text(50, 12, t("adapters.plot.adapter_trainable", m=m, d=d, count=per_adapter), 12)
    canvas.text(50, 3, t("adapters.plot.adapter_note"), 11)
    return _diagram_layout(canvas, t("adapters.plot.adapter_title", layer=layer, placement=settings.placement))


def lora_path_figure(config, settings: A.MethodSettings, layer: int = 0) -> go.Figure:
    """LoRA on the first target projection: parallel to the frozen W0, and merged into it."""
    r = settings.r
    target = A.resolve_targets(config, settings.target_modules)[0]
    projection = next(p for p in A.block_projections(config) if p.name == target)
    d_in, d_out = projection.d_in, projection.d_out
    scaling = settings.alpha / (r ** 0.5 if settings.use_rslora else r)
    scale_text = "α/√r" if settings.use_rslora else "α/r"
    canvas = _Canvas()
    lx, left, right = 50, 26, 74
    canvas.box(lx, 93, f"x {_shape('B', 'T', d_in)}", TENSOR, 40)
    canvas.arrow(lx - 8, 89.5, left, 69.5)
    canvas.arrow(lx + 8, 89.5, right, 81.5)
    canvas.box(left, 64, t("adapters.plot.w0", shape=_shape(d_out, d_in)), FROZEN, 40, 10)
    canvas.box(right, 78, f"A  {_shape(r, d_in)}", TRAINABLE, 40)
    canvas.arrow(right, 74.5, right, 67.5, _shape("B", "T", r))
    canvas.box(right, 64, t("adapters.plot.b", shape=_shape(d_out, r)), TRAINABLE, 44)
    canvas.arrow(right, 60.5, right, 53.5, _shape("B", "T", d_out))
    canvas.box(right, 50, f"× {scale_text} = {scaling:g}", OP, 30)
    canvas.arrow(left, 59, lx - 2.5, 39.4)
    canvas.text(left - 6, 49, f"W0·x<br>{_shape('B', 'T', d_out)}", 10)
    canvas.arrow(right, 46.5, lx + 2.5, 39.4)
    canvas.circle(lx, 37, "+", 3)
    canvas.arrow(lx, 34, lx, 28.5, f"h {_shape('B', 'T', d_out)}")
    canvas.box(lx, 23, t("adapters.plot.merged", scale=scale_text, shape=_shape(d_out, d_in)), TENSOR, 92, 9)
    lora_count = r * (d_in + d_out)
    canvas.text(50, 12, t("adapters.plot.lora_trainable", r=r, d_in=d_in, d_out=d_out, count=lora_count), 12)
    canvas.text(50, 3, t("adapters.plot.lora_note"), 11)
    return _diagram_layout(canvas, t("adapters.plot.lora_title", target=target, layer=layer))


def sweep_figure(curves: dict[str, list[tuple[int, int]]], base_params: int,
                 current: dict[str, tuple[int, int]] | None = None) -> go.Figure:
    """Log-log lines of trainable parameters; `current` marks the chosen LoRA, adapter and prompt settings."""
    fig = go.Figure()
    colors = ["#f59e0b", "#dc2626", "#b91c1c", "#059669"]
    for (name, points), color in zip(curves.items(), colors):
        xs, ys = zip(*points)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, line=dict(color=color),
                                 hovertemplate=f"%{{x}}: %{{y:,}} {t('adapters.plot.params')}<extra>{name}</extra>"))
    star_colors = ["#f59e0b", "#dc2626", "#059669"]  # LoRA, adapter, prompt tuning: the lines' colours
    for (name, (x, y)), color in zip((current or {}).items(), star_colors):
        fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers",
                                 marker=dict(size=15, symbol="star", color=color, line=dict(color="black", width=1)),
                                 name=t("adapters.plot.chosen", name=name),
                                 hovertemplate=f"%{{x}}: %{{y:,}}<extra>{t('adapters.plot.chosen_hover')}</extra>"))
    fig.add_hline(y=base_params * 0.01, line=dict(dash="dot", color="#9ca3af"),
                  annotation_text=t("adapters.plot.one_percent"), annotation_position="bottom right")
    fig.update_layout(
        xaxis=dict(type="log", title=t("adapters.plot.sweep_x"), dtick=0.30103),
        yaxis=dict(type="log", title=t("adapters.plot.sweep_y")),
        height=520, margin=dict(l=60, r=20, t=TOOLBAR_PX, b=50),
        legend=dict(font=dict(size=10), orientation="h", x=0, y=-0.18, yanchor="top"),
    )
    return fig


def latency_figure(rows: list[LatencyRow]) -> go.Figure:
    """Top: median forward ms per setting and variant, whiskers = interquartile range.
    Below: the median paired change against the base (whiskers = its IQR), beside the LoRA paper's Table 1.
    Stacked, not side by side, so that both keep their titles and labels on a narrow screen."""
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.2,
                        subplot_titles=(t("adapters.plot.latency_title"), t("adapters.plot.overhead_title")))
    settings = list(dict.fromkeys(f"b{r.batch} × T{r.seq_len}" for r in rows))
    low, high = t("adapters.plot.min"), t("adapters.plot.max")  # in the hover texts
    for variant in VARIANT_COLORS:
        mine = [r for r in rows if r.variant == variant]
        if not mine:
            continue
        color, label = VARIANT_COLORS[variant], variant_label(variant)
        fig.add_trace(go.Bar(
            x=[f"b{r.batch} × T{r.seq_len}" for r in mine], y=[r.median_ms for r in mine], name=label,
            marker_color=color, legendgroup=variant,
            error_y=dict(type="data", symmetric=False, array=[r.q3_ms - r.median_ms for r in mine],
                         arrayminus=[r.median_ms - r.q1_ms for r in mine]),
            customdata=[[r.repeats, r.min_ms, r.max_ms] for r in mine],
            hovertemplate=f"%{{y:.1f}} ms (n=%{{customdata[0]}}, {low} %{{customdata[1]:.1f}}, "
                          f"{high} %{{customdata[2]:.1f}})",
        ), row=1, col=1)
        if variant != "base":
            fig.add_trace(go.Bar(
                x=[f"b{r.batch} × T{r.seq_len}" for r in mine], y=[r.overhead_pct for r in mine],
                name=label, marker_color=color, legendgroup=variant, showlegend=False,
                error_y=dict(type="data", symmetric=False,
                             array=[max(r.verdict.high_pct - r.overhead_pct, 0.0) for r in mine],
                             arrayminus=[max(r.overhead_pct - r.verdict.low_pct, 0.0) for r in mine]),
                customdata=[[r.verdict.text()] for r in mine],
                hovertemplate="%{y:+.1f}%: %{customdata[0]}<extra>" + label + "</extra>"), row=2, col=1)
    baseline = PAPER_TABLE1["Fine-tune / LoRA"]
    for method, color in (("Adapter (Houlsby)", "#fca5a5"), ("Adapter (Lin)", "#fecaca")):
        overheads = [100 * (v - b) / b for v, b in zip(PAPER_TABLE1[method], baseline)]
        name = t(PAPER_METHODS[method])
        fig.add_trace(go.Bar(x=[t("adapters.plot.paper_setting", setting=s) for s in PAPER_TABLE1["settings"]],
                             y=overheads, name=t("adapters.plot.paper_trace", name=name),
                             marker=dict(color=color, pattern_shape="/"),
                             hovertemplate="%{y:+.1f}%<extra>" + name + "</extra>"), row=2, col=1)
    fig.add_annotation(text=t("adapters.plot.paper_note"), xref="x2 domain", yref="y2 domain",
                       x=1, y=1, showarrow=False, xanchor="right", yanchor="top", font=dict(size=10))
    fig.update_xaxes(categoryorder="array", categoryarray=settings, row=1, col=1)
    fig.update_yaxes(title_text="ms", row=1, col=1)
    fig.update_yaxes(title_text="%", row=2, col=1)
    fig.update_annotations(font_size=12, selector=dict(text=t("adapters.plot.latency_title")))
    fig.update_layout(barmode="group", height=760, margin=dict(l=50, r=20, t=TOOLBAR_PX + 30, b=60),
                      legend=dict(orientation="h", y=-0.08, yanchor="top", font=dict(size=10)))
    return fig

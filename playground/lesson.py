"""The lesson an instructor leads: the study notes' path through the three tabs, one step at a time.

    양자화 basics ─ outliers ─ 블록 단위 양자화 ─ NF4 ─ 이중 양자화 ─ adapter ─ LoRA ─ prompt tuning ─ QLoRA run ─ compare
    (Quantization Lab: absmax / zero-point → … → double quantization; Adapter vs LoRA; QLoRA Studio)

Each step names its tab, the settings it puts in that tab's form (setting name → a value the widget accepts;
the settings it does not name keep their value), and the texts the room reads: what to look at, one question
for the room and its answer (`lesson.<step id>.look / .question / .answer` in playground/texts/lesson.py).
A Studio step that names a "preset" gets that preset's settings first, as choosing it in the tab does.
The numbers the texts quote are the notes' examples; tests/test_lesson.py recomputes each one.
No Gradio here: playground/ui/lesson.py draws the panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.i18n import t
from playground.quant.examples import NOTES_VECTOR  # the notes' small typed vector (int8 codes 28, −12, −101, …)

TABS = ("quant", "adapters", "studio")  # the tab ids of playground/ui/interface.py
LINK_KEY = "lesson"  # ?lesson=1 in the page's link opens the lesson panel

# A Llama-7B-sized shape (the LoRA notes' d = 4096) for counting only: nothing is built from it.
LLAMA_7B_SHAPE = dict(d_model=4096, d_ff=11008, layers=32, heads=32, kv_heads=32)

# What the Quantization Lab's figures depend on, by source (each quant step names them all, so a step shows
# the same figures whatever the room changed before it).
QUANT_COMMON = ("source", "schemes", "bits", "granularity", "blocksize", "double_quant", "block")
QUANT_BY_SOURCE = {"typed": ("numbers",),
                   "synthetic": ("distribution", "size", "seed", "outlier_fraction", "outlier_magnitude")}
# … and the Adapter tab's counts (the shape's fields when the source is "custom").
ADAPTERS_COMMON = ("source", "r", "alpha", "dropout", "use_rslora", "target_modules", "bottleneck", "placement",
                   "prompt_tokens", "layer")
ADAPTERS_CUSTOM = tuple(LLAMA_7B_SHAPE)


@dataclass(frozen=True)
class Step:
    id: str
    tab: str
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tab not in TABS:
            raise ValueError(f"lesson step {self.id!r}: unknown tab {self.tab!r}; tabs: {', '.join(TABS)}")

    @property
    def title_key(self) -> str:
        return f"lesson.{self.id}.title"

    @property
    def look_key(self) -> str:
        return f"lesson.{self.id}.look"

    @property
    def question_key(self) -> str:
        return f"lesson.{self.id}.question"

    @property
    def answer_key(self) -> str:
        return f"lesson.{self.id}.answer"

    @property
    def text_keys(self) -> tuple[str, ...]:
        return self.title_key, self.look_key, self.question_key, self.answer_key


def _quant(source: str, **settings) -> dict:
    defaults = dict(source=source, bits=4, granularity="block", blocksize="64", double_quant=False, block=-1)
    return {**defaults, **settings}


_OUTLIERS = dict(distribution="normal+outliers", size=4096, seed=0, outlier_fraction=0.002, outlier_magnitude=10.0)
_NORMAL = dict(distribution="normal", size=65536, seed=0, outlier_fraction=0.01, outlier_magnitude=10.0)
_ADAPTERS = dict(dropout=0.05, use_rslora=False, placement="houlsby", layer=0)

STEPS: tuple[Step, ...] = (
    Step("absmax", "quant", _quant("typed", numbers=NOTES_VECTOR, schemes=["absmax", "zeropoint"], bits=8,
                                   granularity="tensor")),
    Step("outliers", "quant", _quant("synthetic", schemes=["absmax"], granularity="tensor", **_OUTLIERS)),
    Step("blockwise", "quant", _quant("synthetic", schemes=["absmax"], **_OUTLIERS)),
    Step("nf4", "quant", _quant("synthetic", schemes=["absmax", "nf4"], **_NORMAL)),
    Step("double-quant", "quant", _quant("synthetic", schemes=["absmax", "nf4"], double_quant=True, **_NORMAL)),
    Step("adapter", "adapters", dict(source="custom", d_model=6, d_ff=24, layers=1, heads=1, kv_heads=1, bottleneck=2,
                                     r=2, alpha=4, target_modules=["q", "v"], prompt_tokens=20, **_ADAPTERS)),
    Step("lora", "adapters", dict(source="custom", **LLAMA_7B_SHAPE, r=16, alpha=32, target_modules=["q", "v"],
                                  bottleneck=64, prompt_tokens=20, **_ADAPTERS)),
    Step("prompt-tuning", "adapters", dict(source="loaded", r=8, alpha=16, target_modules=["q", "v"], bottleneck=36,
                                           prompt_tokens=20, **_ADAPTERS)),
    Step("qlora-run", "studio", dict(preset="quick", source="builtin", quant_type="nf4", double_quant=True)),
    Step("qlora-compare", "studio", dict(preset="quick", source="builtin", compare_held_out=3, compare_temperature=0.0,
                                         compare_max_new_tokens=48)),
)


def index_of(step_id: str) -> int:
    for index, step in enumerate(STEPS):
        if step.id == step_id:
            return index
    raise ValueError(t("lesson.err.step", step=repr(step_id), steps=", ".join(step.id for step in STEPS)))


def neighbour(index: int, offset: int) -> int:
    """The step `offset` away (Previous: −1, Next: +1), staying at the first and the last."""
    return min(max(index + offset, 0), len(STEPS) - 1)

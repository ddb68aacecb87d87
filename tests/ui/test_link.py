"""The link's UI: specs read from the real widgets, the restore handler, and the order of the page-load events."""

from __future__ import annotations

import types

import pytest

from playground import link
from playground.i18n import using
from playground.ui import link as link_ui
from playground.ui.interface import build_demo


@pytest.fixture(scope="module")
def demo():
    return build_demo()


def forms_of(demo):
    restore = next(fn for fn in demo.fns.values() if fn.name == "restore")
    return restore


def test_every_setting_is_described_by_its_widget():
    import gradio as gr

    assert link_ui.setting_for(gr.Slider(2, 8, value=4, step=1)) == link.Setting("int", (4,), minimum=2, maximum=8, step=1)
    assert link_ui.setting_for(gr.Slider(0, 0.5, value=0.05, step=0.05)).kind == "float"
    assert link_ui.setting_for(gr.Number(8, precision=0, minimum=1, maximum=256)) == link.Setting(
        "int", (8,), minimum=1, maximum=256)
    assert link_ui.setting_for(gr.Number(0.001)).kind == "float"
    assert link_ui.setting_for(gr.Checkbox(True)) == link.Setting("bool", (True,))
    radio = link_ui.setting_for(gr.Radio([("Label A", "a"), ("Label B", "b")], value="b"))
    assert radio == link.Setting("choice", ("b",), choices=("a", "b"))
    group = link_ui.setting_for(gr.CheckboxGroup(["q", "k", "v"], value=["q", "v"]))
    assert group.kind == "choices" and group.choices == ("q", "k", "v")
    dropdown = link_ui.setting_for(gr.Dropdown(["32", "64"], value="64", allow_custom_value=True))
    assert dropdown.custom and dropdown.parse("100") == "100"
    assert link_ui.setting_for(gr.Textbox("hi", max_length=50)).max_chars == 50
    assert link_ui.setting_for(gr.File()) is None
    with using("en"):
        from playground.ui.strings import t

        prompt = link_ui.setting_for(gr.Textbox(t("tab.quant")))  # a text that differs in Korean
    assert prompt.defaults == ("Quantization Lab", "양자화 실험실") and prompt.is_default("양자화 실험실")


def test_the_page_link_carries_every_tab_but_never_a_dataset(demo):
    restore = forms_of(demo)
    specs = restore_specs(demo)
    assert list(specs) == ["quant", "adapters", "studio"]
    assert {"schemes", "bits", "granularity", "blocksize", "double_quant", "size"} <= specs["quant"].keys()
    assert {"r", "alpha", "target_modules", "bottleneck", "budget"} <= specs["adapters"].keys()
    assert {"rank", "quant_type", "double_quant", "steps", "preset", "compare_prompt"} <= specs["studio"].keys()
    assert "pasted" not in specs["studio"] and "upload" not in specs["studio"]
    assert specs["quant"]["bits"] == link.Setting("int", (4,), minimum=2, maximum=8, step=1)
    assert specs["studio"]["rank"].minimum == 1 and specs["studio"]["rank"].maximum == 256
    assert restore.queue is False


def restore_specs(demo):
    forms = demo.link_forms
    return link_ui.specs_for(forms)


def test_load_events_run_after_the_link_is_applied(demo):
    """The Quantization Lab's first run and the Studio's estimate read the link's values: they follow the
    restore, which follows the language's page load."""
    fns = {fn._id: fn for fn in demo.fns.values()}
    restore = forms_of(demo)
    language_load = fns[restore.trigger_after]
    assert language_load.targets[0][1] == "load" and language_load.name == "load"
    followers = {fn.name for fn in fns.values() if fn.trigger_after == restore._id}
    assert {"estimate_markdown", "run_quantize"} <= followers
    # nothing else that reads a setting still runs on load alone (it would read the defaults)
    widgets = {widget._id for form in demo.link_forms.values() for widget in form.widgets.values()}
    for fn in fns.values():
        if fn.targets == [(0, "load")]:
            assert not any(block._id in widgets for block in fn.inputs), fn.name


def test_restore_selects_the_tab_sets_the_values_and_reports_once(demo):
    restore = forms_of(demo)
    outputs = restore.outputs
    request = types.SimpleNamespace(query_params={"tab": "studio", "quant.bits": "3", "studio.rank": "16",
                                                  "quant.size": "-x", "evil": "<b>"},
                                    headers={}, session_hash="test")
    with using("en"):
        updates = restore.fn(None, request=request)
    assert len(updates) == len(outputs)
    assert updates[0] == {"__type__": "update", "selected": "studio"}
    by_block = dict(zip((block._id for block in outputs), updates))
    forms = demo.link_forms
    assert by_block[forms["quant"]["bits"]._id] == {"__type__": "update", "value": 3}
    assert by_block[forms["studio"]["rank"]._id] == {"__type__": "update", "value": 16}
    assert by_block[forms["quant"]["size"]._id] == {"__type__": "update"}  # skipped: keeps its default
    assert updates[-1] == ("Some settings of this link were not applied (their defaults stay): quant.size: must be a "
                           "number. Ignored, not settings of this page: `evil`.")
    korean = types.SimpleNamespace(query_params={"lang": "ko", "quant.bits": "3"}, headers={}, session_hash="ko")
    assert restore.fn(None, request=korean)[-1] == "링크에서 설정 1개를 복원했습니다."
    empty = types.SimpleNamespace(query_params={}, headers={}, session_hash="none")
    assert all(update == {"__type__": "update"} for update in restore.fn(None, request=empty))

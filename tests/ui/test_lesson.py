"""The lesson panel on the real demo, without a browser: each step's settings fit its tab's widgets, each step
shows its numbers through the tab's own handler, stepping and Reset send the right values, and the texts
follow the language."""

from __future__ import annotations

import types

import gradio as gr
import pandas as pd
import pytest

from playground import lesson
from playground.i18n import Text, in_language, t, using
from playground.ui import adapters_tab, interface, quant_tab, studio_tab
from playground.ui import lesson as lesson_ui

# each tab's quick view from its form's values (the Studio's form leaves out the upload: no step sets one)
HANDLERS = {"quant": lambda values: quant_tab.run_quantize(values, progress=None),
            "adapters": adapters_tab.compare_methods,
            "studio": lambda values: studio_tab.estimate_markdown({"upload": None, **values})}


@pytest.fixture(scope="module")
def built():
    """build_demo(), and what it handed to the lesson panel."""
    seen = {}
    panel = interface.create_lesson_panel

    def spy(demo, tabs, forms, **kwargs):
        seen.update(tabs=tabs, forms=forms)
        return panel(demo, tabs, forms, **kwargs)

    interface.create_lesson_panel = spy
    try:
        demo = interface.build_demo()
    finally:
        interface.create_lesson_panel = panel
    return types.SimpleNamespace(demo=demo, **seen)


def choice_values(widget) -> list:
    return [choice[1] if isinstance(choice, (tuple, list)) else choice for choice in widget.choices]


def accepts(widget, value) -> bool:
    """Whether the widget can hold `value` as a user could set it."""
    if isinstance(widget, gr.CheckboxGroup):
        return isinstance(value, list) and all(item in choice_values(widget) for item in value)
    if isinstance(widget, (gr.Radio, gr.Dropdown)):
        return value in choice_values(widget)
    if isinstance(widget, gr.Checkbox):
        return isinstance(value, bool)
    if isinstance(widget, gr.Slider):
        steps = (value - widget.minimum) / widget.step
        return widget.minimum <= value <= widget.maximum and abs(steps - round(steps)) < 1e-9
    if isinstance(widget, gr.Number):
        low = widget.minimum if widget.minimum is not None else float("-inf")
        high = widget.maximum if widget.maximum is not None else float("inf")
        whole = widget.precision != 0 or float(value).is_integer()
        return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high and whole
    if isinstance(widget, gr.Textbox):
        return isinstance(value, str)
    raise AssertionError(f"no acceptance rule for {type(widget).__name__}")


def step_values(built, step) -> dict:
    """The tab's values after the step, from the page's starting values."""
    form = built.forms[step.tab]
    return {**lesson_ui.initial_values(form), **lesson_ui.step_settings(step, form)}


def test_every_setting_names_a_widget_of_its_tab_and_a_value_it_accepts(built):
    assert set(built.forms) == set(lesson.TABS)
    for step in lesson.STEPS:
        form = built.forms[step.tab]
        for name, value in lesson_ui.step_settings(step, form).items():
            assert name in form.widgets, f"{step.id}: no setting {name!r} in the {step.tab} tab"
            assert accepts(form[name], value), f"{step.id}: {name} = {value!r} is not accepted by its widget"


def test_a_setting_the_tab_lacks_is_refused_with_its_name(built):
    with pytest.raises(ValueError, match="quant tab has no setting named colour"):
        lesson_ui.step_settings(lesson.Step("odd", "quant", {"colour": "red"}), built.forms["quant"])


def column(outputs, key: str) -> list:
    """A column of the first table among a handler's outputs that has it (the tabs may add outputs)."""
    name = t(key)
    table = next(item for item in outputs if isinstance(item, pd.DataFrame) and name in item.columns)
    return list(table[name])


def test_each_step_shows_its_numbers_through_its_tab(built):
    outputs = {step.id: HANDLERS[step.tab](step_values(built, step)) for step in lesson.STEPS}
    assert "8 values" in outputs["absmax"][0]
    codes = column(outputs["absmax"], "quant.col.code")
    assert codes[:8] == [28, -12, -101, 28, -73, 19, 56, 127]
    assert (codes[8 + 2], codes[8 + 7]) == (-128, 127)  # zero-point: min and max at both ends
    rmse = {step_id: column(outputs[step_id], "quant.col.rmse")[0] for step_id in ("outliers", "blockwise")}
    assert rmse["outliers"] == pytest.approx(0.41, abs=0.005) and rmse["blockwise"] == pytest.approx(0.17, abs=0.005)
    assert column(outputs["outliers"], "quant.col.codes_used") == ["9/15"]
    nf4 = outputs["nf4"]
    assert column(nf4, "quant.col.bits_per_param") == [4.5, 4.5]
    absmax_rmse, nf4_rmse = column(nf4, "quant.col.rmse")
    assert nf4_rmse < absmax_rmse and round(nf4_rmse, 3) == 0.092 and round(absmax_rmse, 3) == 0.107
    assert column(outputs["double-quant"], "quant.col.bits_per_param") == [4.5, 4.126953125]
    per_layer = {step_id: dict(zip(column(outputs[step_id], "adapters.col.formula"),
                                   column(outputs[step_id], "adapters.col.per_layer")))
                 for step_id in ("adapter", "lora", "prompt-tuning")}
    assert per_layer["adapter"]["2md+d+m = 2·2·6+6+2"] == 32
    assert per_layer["lora"]["r·(d_in+d_out) = 16·(4096+4096)"] == 131_072
    assert per_layer["prompt-tuning"]["n·d = 20·576"] == 11_520
    for step_id in ("qlora-run", "qlora-compare"):
        assert "2,442,240" in outputs[step_id]  # LoRA r = 8 on all seven projections: 305,280 · 8
        assert not outputs[step_id].startswith("⚠️")


def test_a_step_shows_the_same_whatever_came_before(built):
    values = {tab_id: lesson_ui.initial_values(form) for tab_id, form in built.forms.items()}
    for step in lesson.STEPS:  # in lesson order, each on top of what the steps before left
        values[step.tab].update(lesson_ui.step_settings(step, built.forms[step.tab]))
        if step.tab == "studio":  # the run it would start (its estimate reads the machine's free memory)
            assert studio_tab.build_config(values["studio"]) == studio_tab.build_config(step_values(built, step))
            continue
        after_others, fresh = HANDLERS[step.tab](values[step.tab]), HANDLERS[step.tab](step_values(built, step))
        tables = [(a, b) for a, b in zip(after_others, fresh) if isinstance(a, pd.DataFrame)]
        assert tables and all(a.equals(b) for a, b in tables), step.id
        if step.tab == "quant":
            assert after_others[0] == fresh[0], step.id  # the summary


def test_reset_values_are_the_build_time_values_in_the_current_language(built):
    studio = lesson_ui.initial_values(built.forms["studio"])
    quick = studio_tab.preset_settings("quick")
    assert studio["preset"] == "quick"
    assert {name: studio[name] for name in ("dataset", "rank", "steps", "batch_size", "quant_type", "double_quant")} \
        == {name: quick[name] for name in ("dataset", "rank", "steps", "batch_size", "quant_type", "double_quant")}
    quant = lesson_ui.initial_values(built.forms["quant"])
    assert (quant["source"], quant["bits"], quant["granularity"], quant["blocksize"]) == ("synthetic", 4, "block", "64")
    texts = {(tab_id, name): widget.constructor_args["value"] for tab_id, form in built.forms.items()
             for name, widget in form.widgets.items() if isinstance(widget.constructor_args.get("value"), Text)}
    assert ("studio", "compare_prompt") in texts and ("quant", "numbers") in texts
    with using("ko"):
        korean = {tab_id: lesson_ui.initial_values(form) for tab_id, form in built.forms.items()}
    for (tab_id, name), text in texts.items():  # a default from the catalog comes back in the page's language
        assert korean[tab_id][name] == in_language(text.key, "ko"), name


def event(built, name: str):
    found = [function for function in built.demo.fns.values() if function.name == name]
    assert found, name
    return found[0]


def by_block(function, result) -> dict:
    return {id(block): value for block, value in zip(function.outputs, result)}


def test_next_selects_the_tab_and_sets_only_the_named_settings(built):
    following = event(built, "lesson_next")
    result = following.fn("")  # from the introduction to the first step
    tabs_update, picker = result[0], result[1]
    assert tabs_update.get("selected") == "quant" and picker == "absmax"
    sent = by_block(following, result)
    quant = built.forms["quant"]
    assert sent[id(quant["numbers"])] == lesson.NOTES_VECTOR and sent[id(quant["bits"])] == 8
    assert sent[id(quant["seed"])] == gr.skip()  # not named by the step: it keeps its value
    assert sent[id(built.forms["studio"]["steps"])] == gr.skip()
    last = following.fn(lesson.STEPS[-1].id)
    assert last[1] == lesson.STEPS[-1].id  # Next on the last step stays there
    previous = event(built, "lesson_previous")
    assert previous.fn("outliers")[1] == "absmax" and previous.fn("absmax")[1] == "absmax"  # the first stays first
    assert previous.fn("")[1] == "" and previous.fn("")[0] == gr.skip()  # before the first step nothing moves


def test_reset_sends_the_tab_its_starting_values_and_leaves_the_others(built):
    reset = event(built, "reset_tab")
    sent = by_block(reset, reset.fn("studio"))
    studio, quant = built.forms["studio"], built.forms["quant"]
    assert sent[id(studio["steps"])] == studio_tab.preset_settings("quick")["steps"]
    assert sent[id(studio["preset"])] == "quick"
    assert sent[id(quant["bits"])] == gr.skip()


def test_after_a_step_only_its_tab_is_recomputed(built):
    refresh = event(built, "lesson_refresh_quant")
    quantize = next(function for function in built.demo.fns.values() if function.api_name == "quantize_view")
    assert refresh.outputs == quantize.outputs and refresh.inputs[1:] == quantize.inputs
    assert refresh.fn("adapters") == [gr.skip()] * len(quantize.outputs)
    estimate = event(built, "lesson_refresh_studio")
    assert estimate.fn("quant") == gr.skip()


def test_texts_follow_the_language():
    with using("ko"):
        counter, look, question, answer = lesson_ui.step_texts("nf4")
    assert counter.startswith(f"**{len(lesson.STEPS)}단계 중 4단계**") and "분위수" in look and question and answer
    counter, *_ = lesson_ui.step_texts("nf4")
    assert counter.startswith(f"**Step 4 of {len(lesson.STEPS)}**")
    start, intro, no_question, no_answer = lesson_ui.step_texts("")
    assert "Next" in start and intro and no_question == no_answer == ""


def test_a_link_with_lesson_opens_the_panel():
    def request(query: dict, referer: str = ""):
        return types.SimpleNamespace(query_params=query, headers={"referer": referer})

    assert lesson_ui._open_from_link(request({"lesson": "1"})).get("open") is True
    assert lesson_ui._open_from_link(request({}, "http://host/?tab=quant&lesson=1")).get("open") is True
    assert lesson_ui._open_from_link(request({"lesson": "0"})) == gr.skip()
    assert lesson_ui._open_from_link(request({})) == gr.skip()

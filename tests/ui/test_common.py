"""The settings form: one dict per handler, one named parameter per widget for Gradio and its API."""

from __future__ import annotations

import inspect
import logging
import re

import gradio as gr
import pytest

from playground.ui.common import Form, user_errors


def _form() -> tuple[gr.Blocks, Form, gr.Textbox]:
    with gr.Blocks() as demo:
        form = Form()
        form["rank"] = gr.Number(8, label="rank")
        form["targets"] = gr.CheckboxGroup(["q", "v"], value=["q"], label="targets")
        form["note"] = gr.Textbox("hi", label="note")
        out = gr.Textbox()
    return demo, form, out


def test_handler_gets_one_dict_and_keeps_its_extras():
    demo, form, out = _form()

    def handler(values: dict, request: gr.Request = None):
        return values, request

    wrapped = form.handler(handler)
    signature = inspect.signature(wrapped)
    assert list(signature.parameters) == ["rank", "targets", "note", "request"]
    assert [signature.parameters[name].default for name in ("rank", "targets", "note")] == [8, ["q"], "hi"]
    assert wrapped(4, ["v"], "x") == ({"rank": 4, "targets": ["v"], "note": "x"}, None)
    assert wrapped(note="y", request="r") == ({"rank": 8, "targets": ["q"], "note": "y"}, "r")
    only = form.handler(handler, ["note"])
    assert only("z") == ({"note": "z"}, None) and form.inputs(["note"]) == [form["note"]]


def test_generator_handlers_stay_generators():
    demo, form, out = _form()

    def stream(values: dict):
        yield values["rank"]
        yield values["rank"] * 2

    wrapped = form.handler(stream)
    assert inspect.isgeneratorfunction(wrapped) and list(wrapped(3, [], "")) == [3, 6]


def test_the_api_names_each_parameter_after_its_setting():
    demo, form, out = _form()
    with demo:
        gr.Button().click(form.handler(lambda values, request=None: str(values)), form.inputs(), out, api_name="show")
    parameters = demo.get_api_info()["named_endpoints"]["/show"]["parameters"]
    assert [(p["parameter_name"], p["parameter_default"]) for p in parameters] == [
        ("rank", 8), ("targets", ["q"]), ("note", "hi")]


def test_an_unexpected_error_shows_an_incident_id_and_logs_the_traceback(caplog):
    @user_errors
    def broken(values):
        raise RuntimeError("internal detail: /srv/secret/path")

    with caplog.at_level(logging.ERROR, logger="playground"), pytest.raises(gr.Error) as raised:
        broken({})
    message = raised.value.message
    incident = re.search(r"incident ([0-9a-f]{8})", message).group(1)
    assert "secret" not in message and "RuntimeError" not in message and "The app is still running" in message
    record = next(r for r in caplog.records if incident in r.getMessage())
    assert record.exc_info and "internal detail: /srv/secret/path" in str(record.exc_info[1])


def test_user_errors_keep_their_own_message():
    @user_errors
    def refuses(values):
        raise ValueError("rank must be a whole number, got 2.5")

    with pytest.raises(gr.Error, match="rank must be a whole number, got 2.5"):
        refuses({})


def test_messages_and_the_model_picker_follow_the_language():
    from playground.i18n import CATALOG, in_language, using
    from playground.ui.common import model_dropdown

    @user_errors
    def broken(values):
        raise RuntimeError("internal detail")

    @user_errors
    def out_of_memory(values):
        raise MemoryError

    @user_errors
    def refuses(values):
        raise gr.Error("a message of its own")

    for language in ("ko", "en"):
        with using(language):
            with pytest.raises(gr.Error) as raised:
                broken({})
            incident = re.search(r"([0-9a-f]{8})", raised.value.message).group(1)
            assert raised.value.message == in_language("common.err.incident", language, incident=incident)
            assert raised.value.title == CATALOG[language]["common.err.title"]
            with pytest.raises(gr.Error) as raised:
                out_of_memory({})
            assert raised.value.message == CATALOG[language]["common.err.out_of_memory"]
            with pytest.raises(gr.Error) as raised:
                refuses({})
            assert (raised.value.message, raised.value.title) == ("a message of its own",
                                                                  CATALOG[language]["common.err.title"])
            picker = model_dropdown()
            assert (picker.label, picker.info) == (CATALOG[language]["app.model"], CATALOG[language]["app.model_info"])
    assert CATALOG["en"]["common.err.out_of_memory"] == "Out of memory: try a smaller input, batch or sequence length."
    assert (CATALOG["en"]["common.err.title"], CATALOG["en"]["app.model"]) == ("Error", "Model")


def test_a_handler_keeps_the_language_it_started_in_when_the_session_switches_meanwhile():
    """The session's language is read once per call: a switch landing mid-call changes only the next call."""
    from playground import i18n
    from playground.ui.common import user_errors

    chosen = {"language": "en"}
    i18n.set_resolver(lambda: chosen["language"])
    try:
        @user_errors
        def handler():
            first = i18n.t("tab.quant")
            chosen["language"] = "ko"  # the switch lands now
            return first, i18n.t("tab.quant")

        @user_errors
        def steps():
            yield i18n.t("tab.quant")
            chosen["language"] = "en"
            yield i18n.t("tab.quant")

        assert handler() == (i18n.CATALOG["en"]["tab.quant"],) * 2
        assert list(steps()) == [i18n.CATALOG["ko"]["tab.quant"]] * 2  # started in Korean: Korean to its end
        assert handler()[0] == i18n.CATALOG["en"]["tab.quant"]
    finally:
        i18n.set_resolver(None)

"""Small pieces every tab uses: settings forms, turning core errors into messages, and model-load progress."""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from typing import Callable, Iterable

import gradio as gr
import torch

from playground import i18n, models
from playground.ui.strings import t

log = logging.getLogger("playground")


def _as_user_error(err: Exception) -> gr.Error:
    """The message a user sees for `err`, in the current language (the session's)."""
    title = str(t("common.err.title"))
    if isinstance(err, gr.Error):
        if err.title == "Error":  # Gradio's default title, in English
            err.title = title
        return err
    if isinstance(err, torch.OutOfMemoryError) or isinstance(err, MemoryError):
        return gr.Error(str(t("common.err.out_of_memory")), title=title)
    if isinstance(err, ValueError):  # core validation, ModelLoadError included: the message is for the user
        return gr.Error(str(err), title=title)
    incident = uuid.uuid4().hex[:8]
    log.exception("incident %s: unexpected error in a UI handler", incident)
    return gr.Error(str(t("common.err.incident", incident=incident)), title=title)


def user_errors(fn: Callable) -> Callable:
    """Wraps a handler (plain or generator) so any failure shows as a message, never a stack trace.

    It also makes sure the heavy libraries are imported (once, thread-safely) before the handler runs, and
    pins the session's language for the whole call (every step of a generator): a switch that lands while a
    handler runs changes the next call, never half of this one.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator_wrapper(*args, **kwargs):
            code = i18n.language()  # at the first step, which is when Gradio starts the generator
            try:
                with i18n.using(code):
                    models.import_libraries()
                    steps = fn(*args, **kwargs)
                while True:
                    with i18n.using(code):  # each step may run on another thread, in another context
                        try:
                            item = next(steps)
                        except StopIteration:
                            return
                    try:
                        yield item
                    except GeneratorExit:
                        steps.close()
                        raise
            except Exception as err:  # noqa: BLE001
                with i18n.using(code):
                    raise _as_user_error(err) from None

        return generator_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with i18n.using(i18n.language()):
            try:
                models.import_libraries()
                return fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001
                raise _as_user_error(err) from None

    return wrapper


def model_dropdown(label: str | None = None, value: str | None = None, elem_id: str | None = None) -> gr.Dropdown:
    """The model picker every tab shows: bundled, tiny, or any typed Hub id."""
    return gr.Dropdown(
        choices=models.model_choices(),
        value=value or models.default_model_id(),
        label=label or t("app.model"),
        allow_custom_value=True,
        info=t("app.model_info"),
        elem_id=elem_id,
    )


def load_with_progress(model_id: str, progress: gr.Progress | None) -> models.LoadedModel:
    """models.load_model, with its first-use conversion shown on the Gradio progress bar."""
    report = None if progress is None else (lambda fraction, message: progress(fraction, desc=message))
    return models.load_model(model_id, progress=report)


class Form:
    """A tab's settings widgets, by the name of the setting each one holds.

    A handler takes the values as one dict keyed by those names (`values["rank"]`), so adding a setting
    means adding its widget here and reading its name there: nothing positional to keep in step. To Gradio
    and its API the handler has one named parameter per widget, in the order the widgets were added, with
    the widget's initial value as its default.
    """

    def __init__(self) -> None:
        self.widgets: dict[str, gr.components.Component] = {}

    def __setitem__(self, name: str, widget: gr.components.Component) -> None:
        self.widgets[name] = widget

    def __getitem__(self, name: str) -> gr.components.Component:
        return self.widgets[name]

    def inputs(self, names: Iterable[str] | None = None) -> list[gr.components.Component]:
        return [self.widgets[name] for name in (self.widgets if names is None else names)]

    def handler(self, fn: Callable, names: Iterable[str] | None = None) -> Callable:
        """`fn(values, **extras)` as a function of the named widgets (all of them when `names` is None),
        to pass with `inputs(names)`; extras such as `request: gr.Request` keep their place after them."""
        names = list(self.widgets if names is None else names)
        extras = list(inspect.signature(fn).parameters.values())[1:]
        signature = inspect.Signature([
            *(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=self.widgets[name].value)
              for name in names),
            *extras,
        ])

        def split(args, kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = {name: bound.arguments[name] for name in names}
            return values, {extra.name: bound.arguments[extra.name] for extra in extras}

        if inspect.isgeneratorfunction(fn):
            def form_handler(*args, **kwargs):
                values, rest = split(args, kwargs)
                yield from fn(values, **rest)
        else:
            def form_handler(*args, **kwargs):
                values, rest = split(args, kwargs)
                return fn(values, **rest)

        form_handler.__signature__ = signature
        form_handler.__annotations__ = {extra.name: extra.annotation for extra in extras
                                        if extra.annotation is not inspect.Parameter.empty}
        form_handler.__name__ = form_handler.__qualname__ = fn.__name__
        form_handler.__doc__ = fn.__doc__
        return form_handler


def progress_html(fraction: float, text: str, elem_id: str) -> str:
    """A progress bar (`#<elem_id>-bar`) filled to `fraction` and its line of text (`#<elem_id>-text`)."""
    percent = min(100, max(0, round(100 * fraction)))
    return (
        f'<div id="{elem_id}-bar" style="background:#e5e7eb;border-radius:6px;height:14px;overflow:hidden">'
        f'<div style="width:{percent}%;background:#6366f1;height:14px"></div></div>'
        f'<p id="{elem_id}-text" style="margin:6px 0 0 0">{text}</p>'
    )

"""Small pieces every tab uses: turning core errors into messages, and model-load progress."""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Callable

import gradio as gr
import torch

from playground import models
from playground.ui.strings import t

log = logging.getLogger("playground")


def _as_user_error(err: Exception) -> gr.Error:
    if isinstance(err, gr.Error):
        return err
    if isinstance(err, torch.OutOfMemoryError) or isinstance(err, MemoryError):
        return gr.Error("Out of memory: try a smaller input, batch or sequence length.")
    if isinstance(err, ValueError):  # core validation, ModelLoadError included: the message is for the user
        return gr.Error(str(err))
    log.exception("unexpected error in a UI handler")
    return gr.Error(f"Something went wrong ({type(err).__name__}: {err}). The app is still running; try again.")


def user_errors(fn: Callable) -> Callable:
    """Wraps a handler (plain or generator) so any failure shows as a message, never a stack trace.

    It also makes sure the heavy libraries are imported (once, thread-safely) before the handler runs.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator_wrapper(*args, **kwargs):
            try:
                models.import_libraries()
                yield from fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001
                raise _as_user_error(err) from None

        return generator_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
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

"""The export panel under the Studio's compare view: the chosen run in a format people run, its size and how
to run it; optionally pushed to the Hub with the user's token (a password field, cleared after each push).

Events: `export_run` (run, format → the files to download and a Markdown with size, time and how to run) and
`export_push` (run, format, repo id, token, private → the repo's URL); both in one queue ("export", one at a
time on the server: a merge holds the model twice in memory). The run picker and the owner token are the
Studio tab's; sessions, runs and their folders are `playground.ui.studio_tab.STUDIO`'s.
"""

from __future__ import annotations

import gradio as gr

from playground.export import hub
from playground.export.session import PANEL_FORMATS, export_in_session, latest
from playground.ui.common import user_errors
from playground.ui.strings import t


def _studio():
    """The Studio tab's module (its STUDIO and _owner), imported when a handler runs: studio_tab imports this
    module to render the panel, so neither import waits on the other."""
    from playground.ui import studio_tab

    return studio_tab


def _checked_run(run_id: str | None) -> str:
    if not run_id:
        raise ValueError(t("export.err.pick_run"))
    return run_id


@user_errors
def export_files(run_id, fmt, owner: str | None = None, request: gr.Request = None, progress=gr.Progress()):
    """The run's export in `fmt`: (file paths to download, Markdown with size, time and how to run it)."""
    run_id = _checked_run(run_id)
    studio_tab = _studio()
    owner = studio_tab._owner(owner, request)
    result = export_in_session(studio_tab.STUDIO, owner, run_id, fmt,
                               progress=lambda fraction, message: progress(fraction, desc=message))
    return [str(path) for path in result.files], result.summary_markdown()


@user_errors
def push_to_hub(run_id, fmt, repo_id, token, private=True, owner: str | None = None, request: gr.Request = None,
                progress=gr.Progress()):
    """Push the run's export in `fmt` (the session's kept one, else a new one) to `repo_id`; the token field is
    cleared after the push (returned as "")."""
    run_id = _checked_run(run_id)
    studio_tab = _studio()
    owner = studio_tab._owner(owner, request)
    repo_id, token = hub.check_push(repo_id, token)  # before any export work
    folder = latest(studio_tab.STUDIO.session(owner), run_id, fmt)
    if folder is None:
        folder = export_in_session(studio_tab.STUDIO, owner, run_id, fmt,
                                   progress=lambda fraction, message: progress(fraction, desc=message)).folder
    progress(0.9, desc=t("export.progress.pushing", repo_id=repo_id))
    url = hub.push(folder, repo_id, token, private=bool(private))
    return t("export.pushed", url=url), ""


def create_export_panel(run_picker: gr.Dropdown, owner: gr.BrowserState) -> None:
    """The panel, rendered where it is called (inside the Studio tab, under the compare view)."""
    with gr.Accordion(t("export.panel.title"), open=True, elem_id="export-panel"):
        gr.Markdown(t("export.panel.intro"))
        with gr.Row():
            with gr.Column(scale=2):
                fmt = gr.Radio([(t(f"export.format.{name}"), name) for name in PANEL_FORMATS], value="adapter",
                               label=t("export.panel.format"), info=t("export.panel.format_info"),
                               elem_id="export-format")
                button = gr.Button(t("export.panel.button"), variant="primary", elem_id="export-button")
                files = gr.File(label=t("export.panel.files"), file_count="multiple", interactive=False,
                                elem_id="export-files")
            with gr.Column(scale=3):
                result = gr.Markdown(elem_id="export-result")
        with gr.Accordion(t("export.panel.hub"), open=False):
            gr.Markdown(t("export.panel.hub_info"))
            with gr.Row():
                repo_id = gr.Textbox(label=t("export.panel.repo_id"), placeholder="your-name/smollm2-pirate-lora",
                                     elem_id="export-repo")
                token = gr.Textbox(label=t("export.panel.token"), type="password", elem_id="export-token")
                private = gr.Checkbox(value=True, label=t("export.panel.private"), elem_id="export-private")
            push_button = gr.Button(t("export.panel.push"), elem_id="export-push")
            pushed = gr.Markdown(elem_id="export-pushed")
    button.click(export_files, [run_picker, fmt, owner], [files, result], api_name="export_run",
                 concurrency_id="export", concurrency_limit=1)
    push_button.click(push_to_hub, [run_picker, fmt, repo_id, token, private, owner], [pushed, token],
                      api_name="export_push", concurrency_id="export", concurrency_limit=1)

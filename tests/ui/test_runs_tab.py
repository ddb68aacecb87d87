"""The Runs tab's handlers, called as Gradio calls them: the comparison of real tiny-model runs, an experiment
grid streamed into it, stopping it, resuming a run."""

from __future__ import annotations

import gradio as gr
import pytest

from playground import models
from playground.finetune import FinetuneConfig
from playground.studio import runs as runs_view
from playground.ui import runs_tab
from playground.ui.studio_tab import STUDIO
from tests.studio.test_sessions import TINY


def train(owner: str, **changes) -> None:
    final = None
    for final in STUDIO.finetune(owner, FinetuneConfig(**{**TINY, **changes})):
        pass
    assert final.kind == "done", final.message


@pytest.fixture
def owner(tiny):
    token = STUDIO.open()
    yield token
    STUDIO.close(token)


def progress_text(html: str) -> str:
    return html.split('-text" style="margin:6px 0 0 0">', 1)[1].removesuffix("</p>")


def test_the_comparison_of_two_runs(owner):
    assert runs_tab.refresh([], False, False, owner)[4] == "No runs yet: train one in the QLoRA Studio, or run an " \
                                                             "experiment preset below."
    train(owner, rank=2, alpha=4.0)
    train(owner, rank=8, alpha=16.0)
    table, selection, picker, figure, note, diff, metrics = runs_tab.refresh([], False, False, owner)
    runs = STUDIO.runs(owner)
    assert table.values.tolist() == runs_view.runs_rows(runs) and list(table.columns) == runs_view.runs_columns()
    assert selection["value"] == ["run1", "run2"] and [value for _, value in selection["choices"]] == ["run1", "run2"]
    assert picker["value"] == "run2"
    assert len(figure.data) == 4 and figure.layout.yaxis.type == "linear"
    assert note == "2 setting(s) differ between run1, run2."
    assert diff.values.tolist() == [["rank", "2", "8"], ["alpha", "4", "16"]]
    assert list(metrics.columns) == ["measure", "run1", "run2"]

    figure, note, diff, _ = runs_tab.compare_runs(["run1", "run2"], True, owner)
    assert figure.layout.yaxis.type == "log"
    figure, note, diff, _ = runs_tab.compare_runs(["run1"], False, owner)
    assert figure is None and note == "⚠️ pick at least 2 runs to compare (1 picked; this session has 2)"
    assert diff.empty
    # a selection the user made stays over a redraw; the default one follows the runs
    assert runs_tab.refresh(["run2", "run1"], True, False, owner)[1]["value"] == ["run2", "run1"]
    assert runs_tab.refresh(["run2"], True, False, owner)[1]["value"] == ["run1", "run2"]


def test_an_ended_session_and_a_page_without_a_token(tiny):
    token = STUDIO.open()
    STUDIO.close(token)
    with pytest.raises(gr.Error, match="this session has ended"):
        runs_tab.refresh([], False, False, token)
    view = runs_tab.refresh([], False, False, "")  # before the Studio issued a token: nothing to show yet
    assert view[0].empty and view[1]["choices"] == []


def test_an_experiment_streams_its_runs_into_the_comparison(owner):
    info = runs_tab.experiment_info("rank", models.TINY_ID, "sentiment", 2)
    assert info.startswith("**What to look for:**") and "Its runs: r=2, r=8, r=32 (2 steps each)." in info
    outputs = list(runs_tab.run_experiment("rank", models.TINY_ID, "sentiment", 2, False, owner))
    # after each run: the runs table and the experiment's runs so far selected and compared
    selections = [output[2]["value"] for output in outputs if isinstance(output[2], dict) and "value" in output[2]]
    assert selections[:3] == [["run1"], ["run1", "run2"], ["run1", "run2", "run3"]]
    progress, table, selection, picker, figure, note, diff, metrics = outputs[-1]
    assert progress_text(progress) == "experiment finished: run1, run2, run3"
    assert len(table) == 3 and selection["value"] == ["run1", "run2", "run3"]
    assert len(figure.data) == 6 and figure.data[0].name == "run1 · r=2 train"
    assert diff.values.tolist() == [["rank", "2", "8", "32"], ["alpha", "4", "16", "64"]]
    steps = [progress_text(output[0]) for output in outputs if "step 2/2" in output[0]]
    assert [text.split(" · ")[0] for text in steps] == ["run 1/3 (r=2): step 2/2", "run 2/3 (r=8): step 2/2",
                                                       "run 3/3 (r=32): step 2/2"]
    statuses = [row[2] for row in table.values.tolist()]
    assert statuses == ["done · r=2 (experiment exp1, 1/3)", "done · r=8 (experiment exp1, 2/3)",
                        "done · r=32 (experiment exp1, 3/3)"]
    # the default selection after a reload: the latest experiment's runs
    assert runs_tab.refresh([], False, False, owner)[1]["value"] == ["run1", "run2", "run3"]


def test_stopping_an_experiment_stops_its_grid(owner):
    events = runs_tab.run_experiment("learning_rate", models.TINY_ID, "sentiment", 40, False, owner)
    for output in events:
        if "step " in output[0]:
            assert progress_text(runs_tab.stop_experiment(owner)) == "stopping after the current step…"
            break
    last = list(events)[-1]
    assert progress_text(last[0]).startswith("experiment stopped: ")
    assert len(STUDIO.runs(owner)) <= 1  # the run in progress kept (if it trained a step), the rest never ran
    assert progress_text(runs_tab.stop_experiment(owner)) == "nothing is running in this session"


def test_resume_continues_a_run_as_a_new_one(owner):
    train(owner)
    outputs = list(runs_tab.resume_run("run1", 2, False, owner))
    progress, table, selection, picker, figure, note, diff, metrics = outputs[-1]
    assert "saved as run2" in progress_text(progress)
    run = STUDIO.run(owner, "run2")
    assert run.summary["resumed_from"] == "run1" and run.summary["steps_done"] == 5 and run.config.steps == 5
    assert table.values.tolist()[1][2] == "done · resumed from run1"
    assert selection["value"] == ["run1", "run2"] and diff.values.tolist() == [["steps", "3", "5"]]
    # the resumed run's curve goes on from step 3 where run1's ended
    steps = [entry["step"] for entry in run.summary["history"] if "loss" in entry]
    assert steps[-2:] == [4, 5]


def test_bad_input_is_a_message(owner):
    with pytest.raises(gr.Error, match="pick a run to resume"):
        list(runs_tab.resume_run("", 2, False, owner))
    with pytest.raises(gr.Error, match="no run 'run9'"):
        list(runs_tab.resume_run("run9", 2, False, owner))
    train(owner)
    for steps, message in ((0, "extra steps must be a whole number from 1 to"), (10_000, "from 1 to"),
                           (1.5, "extra steps")):
        with pytest.raises(gr.Error, match=message):
            list(runs_tab.resume_run("run1", steps, False, owner))
    with pytest.raises(gr.Error, match="no experiment 'sizes'"):
        list(runs_tab.run_experiment("sizes", models.TINY_ID, "sentiment", 2, False, owner))
    with pytest.raises(gr.Error, match="steps must be a whole number"):
        list(runs_tab.run_experiment("rank", models.TINY_ID, "sentiment", 10_000, False, owner))
    assert not STUDIO.running(owner) and len(STUDIO.runs(owner)) == 1


def test_the_app_exposes_the_runs_endpoints():
    from playground.ui.interface import build_demo

    names = {dependency.get("api_name") for dependency in build_demo().config["dependencies"]}
    assert {"runs_compare", "experiment", "experiment_stop", "resume"} <= names

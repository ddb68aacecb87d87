"""Faults a workshop or a public Space will see, against the real server: a tab closed mid-run, Stop
mid-run, hostile uploads and paths. Each ends with a clear message, a clean stop or a run that carries on
for its owner, and the app goes on."""

from __future__ import annotations

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from playground.settings import LIMITS
from tests.browser.conftest import open_tab
from tests.browser.test_studio_tab import set_number, use_tiny_model, wait_for_text

pytestmark = pytest.mark.browser


def start_long_run(page, model_id: str) -> None:
    """A run of the step cap's length on `model_id`, started and seen training."""
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-estimate", r"trainable LoRA parameters")
    model = page.locator("#studio-model input")
    model.fill(model_id)
    model.press("Enter")
    set_number(page, "studio-steps", str(LIMITS.max_steps))
    set_number(page, "studio-eval-every", "0")
    wait_for_text(page, "#studio-estimate", r"trainable LoRA parameters")
    page.locator("#studio-start").click()
    wait_for_text(page, "#studio-progress", rf"step \d+/{LIMITS.max_steps}")


def finish_short_run(page) -> None:
    open_tab(page, "QLoRA Studio")
    use_tiny_model(page)
    page.locator("#studio-start").click()
    wait_for_text(page, "#studio-progress", r"saved as run1")


def test_a_run_goes_on_when_its_tab_closes_and_the_reopened_page_follows_it(browser, app_url):
    # The browser keeps the owner token the server issued (localStorage): a tab closed mid-run, or a reload,
    # finds the same session; the run kept training meanwhile and the new page streams it to its end.
    context = browser.new_context()
    page = context.new_page()
    page.goto(app_url)
    start_long_run(page, "tiny/llama")
    page.close()

    page = context.new_page()
    page.goto(app_url)
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-progress", rf"step \d+/{LIMITS.max_steps}|saved as run1|1 run\(s\)")
    wait_for_text(page, "#studio-progress", r"saved as run1|1 run\(s\)")
    assert page.locator("#studio-run input").input_value().startswith("run1 · pirate · 500 steps")
    context.close()


def test_stop_mid_run_ends_cleanly_and_the_next_run_starts(page):
    start_long_run(page, "tiny/llama")
    page.locator("#studio-stop").click()
    wait_for_text(page, "#studio-progress", r"stopped after \d+ of 500 steps")
    use_tiny_model(page)
    page.locator("#studio-start").click()
    wait_for_text(page, "#studio-progress", r"saved as run\d")


# --------------------------------------------------------------------------- uploads and paths, via the API

def finetune_upload(client: Client, upload) -> str:
    """Submits a fine-tune on an uploaded file and returns the error message it was answered with."""
    with pytest.raises(AppError) as raised:
        client.predict(model_id="tiny/llama", source="upload", upload=upload, pasted="", dataset="pirate",
                       steps=2, api_name="/finetune")
    return str(raised.value)


@pytest.fixture
def client(app_url):
    client = Client(app_url, verbose=False)
    yield client
    client.close()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", b"", "the dataset has 0 example(s)"),
        ("binary.jsonl", bytes(range(256)) * 4, "the file looks binary"),
        ("latin1.csv", "instruction,response\ncafé,olé\n".encode("latin-1"), "is not UTF-8 text"),
        ("broken.jsonl", b'{"instruction": "hi", "response": "yo"}\n{"instruction": \n', "line 2 is not valid JSON"),
        ("columns.csv", b"question,answer\nhi,yo\nhey,yo\n", "needs 'instruction' and 'response' columns"),
        ("one.jsonl", b'{"instruction": "hi", "response": "yo"}\n', "the dataset has 1 example(s)"),
        ("script.py", b"print('hi')\n", "Invalid file type"),  # refused by the upload widget itself
    ],
)
def test_bad_uploads_get_a_clear_message(client, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    assert message in finetune_upload(client, handle_file(str(path)))


def test_oversized_upload_is_refused(client, tmp_path):
    path = tmp_path / "big.jsonl"
    line = b'{"instruction": "Say hi", "response": "Hi!"}\n'
    path.write_bytes(line * (LIMITS.max_upload_bytes // len(line) + 1))
    # the server announces its upload cap (Gradio's max_file_size), so the client refuses before sending;
    # a raw upload over the cap is refused by the server itself (test_hosting.py)
    with pytest.raises(ValueError, match=f"exceeds the maximum file size of {LIMITS.max_upload_bytes} bytes"):
        client.predict(model_id="tiny/llama", source="upload", upload=handle_file(str(path)), pasted="",
                       dataset="pirate", steps=2, api_name="/finetune")


def test_a_server_path_is_never_read(client):
    # A hand-made request naming a file on the server instead of uploading one.
    forged = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}, "orig_name": "passwd.jsonl"}
    message = finetune_upload(client, forged)
    assert "root:" not in message


def test_another_sessions_run_or_a_path_is_not_served(client):
    # The run picker only offers this session's runs; the Studio refuses any other id as well.
    for run_id in ("run1", "../../etc/passwd", "/etc/passwd"):
        with pytest.raises(AppError, match=r"not in the list of choices|no run .* in this session"):
            client.predict(run_id=run_id, api_name="/export_adapter")


def test_the_studio_serves_only_its_own_sessions_files(tmp_path):
    from playground.studio import Studio

    studio = Studio(root=tmp_path)
    owner = studio.open()
    for run_id in ("run1", "../../etc/passwd", "/etc/passwd"):
        with pytest.raises(ValueError, match="no run .* in this session"):
            studio.export(owner, run_id)
    with pytest.raises(ValueError, match="this session has ended"):
        studio.export("a-token-the-server-never-issued", "run1")
    assert [path.parent for path in tmp_path.iterdir()] == [tmp_path]  # only the session's own folder

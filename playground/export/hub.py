"""Push an export folder to the Hugging Face Hub with the user's token: a private repo by default.

The token is used for this one call and forgotten: it is never written to a file, never logged, never kept in
an object, and never shown in a message (an error from the Hub is shown with the token masked, without its
traceback). Offline (HF_HUB_OFFLINE set, or huggingface.co unreachable) the push explains that, before any call.
"""

from __future__ import annotations

import re
from pathlib import Path

from playground import models
from playground.i18n import t

REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")


def mask(text: str, token: str) -> str:
    """`text` with the token (and anything token-shaped) replaced by ***."""
    if token:
        text = text.replace(token, "***")
    return re.sub(r"hf_[A-Za-z0-9]{8,}", "***", text)


def check_push(repo_id: str, token: str) -> tuple[str, str]:
    repo_id, token = (repo_id or "").strip(), (token or "").strip()
    if not REPO_ID.fullmatch(repo_id):
        raise ValueError(t("export.err.repo_id", repo_id=repr(repo_id[:200])))
    if not token:
        raise ValueError(t("export.err.no_token"))
    if not models.hub_reachable():
        raise ValueError(t("export.err.offline"))
    return repo_id, token


def push(folder: Path, repo_id: str, token: str, private: bool = True) -> str:
    """Upload every file of `folder` to the model repo `repo_id` (created when missing); returns its URL."""
    repo_id, token = check_push(repo_id, token)
    from huggingface_hub import HfApi

    try:
        api = HfApi(token=token)
        url = api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model",
                          commit_message="Export from PEFT Playground")
    except Exception as err:  # noqa: BLE001 - any Hub failure becomes a message, the token masked
        raise ValueError(t("export.err.push_failed", repo_id=repo_id,
                           error=mask(f"{type(err).__name__}: {err}", token)[:500])) from None
    finally:
        del token
    return str(url)

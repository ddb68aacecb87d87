"""Shared fixtures. Tests never touch the network: the Hub is off, models come from the bundle or a config."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PLAYGROUND_MODEL", "bundled/SmolLM2-135M-Instruct")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402

from playground import models  # noqa: E402


@pytest.fixture(scope="session")
def smollm():
    """The real bundled SmolLM2-135M-Instruct, float32, shared and frozen (converted once per cache)."""
    return models.load_model(models.BUNDLED_ID)


@pytest.fixture(scope="session")
def tiny():
    """A 2-layer Llama with random weights and SmolLM2's tokenizer."""
    return models.load_model(models.TINY_ID)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def pytest_collection_modifyitems(config, items):
    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="no CUDA device on this machine (GPU path measured on the device machine)")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)

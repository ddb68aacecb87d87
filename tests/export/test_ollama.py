"""The Modelfile: FROM the GGUF beside it, a Go TEMPLATE equivalent to the ChatML chat template, the stop token."""

from __future__ import annotations

import copy
import re

from playground import models
from playground.export import ollama


def _render_go(template: str, messages: list[dict]) -> str:
    """The two Go-template forms `ollama.go_template` writes, rendered for `messages` (a test-side reading of
    Go's text/template for exactly these actions: range over .Messages, if and/eq/ne, field output)."""
    body = re.fullmatch(r"\{\{- range (?:\$i, \$m := )?\.Messages \}\}(.*)\{\{ end \}\}(.*)", template, re.S)
    assert body, template
    inner, tail = body.groups()
    out = []
    for index, message in enumerate(messages):
        text = inner
        guard = re.match(r'\{\{- if and \(eq \$i 0\) \(ne \$m\.Role "system"\) \}\}(.*?)\{\{ end \}\}', text, re.S)
        if guard:
            text = (guard.group(1) if index == 0 and message["role"] != "system" else "") + text[guard.end():]
        text = re.sub(r"\{\{ \$?m?\.Role \}\}", message["role"], text)
        text = re.sub(r"\{\{ \$?m?\.Content \}\}", message["content"], text)
        out.append(text)
    return "".join(out) + tail


def test_modelfile_fields_for_smollm2():
    tokenizer = models.load_tokenizer(models.BUNDLED_ID)
    text = ollama.modelfile("model.Q8_0.gguf", tokenizer)
    assert "FROM ./model.Q8_0.gguf\n" in text
    assert 'PARAMETER stop "<|im_end|>"' in text
    template = re.search(r'TEMPLATE """(.*?)"""', text, re.S).group(1)
    shape = ollama.chatml(tokenizer)
    assert shape.default_system == "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    for messages in ([{"role": "user", "content": "Hi"}],
                     [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
                     [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Arr."},
                      {"role": "user", "content": "More"}]):
        expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert _render_go(template, messages) == expected


def test_a_template_that_is_not_chatml_is_left_to_ollama():
    tokenizer = copy.deepcopy(models.load_tokenizer(models.BUNDLED_ID))
    tokenizer.chat_template = "{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}"
    assert ollama.chatml(tokenizer) is None
    text = ollama.modelfile("m.gguf", tokenizer)
    assert "TEMPLATE" not in text.replace("No TEMPLATE", "") and "FROM ./m.gguf" in text
    assert 'PARAMETER stop "<|im_end|>"' in text  # the tokenizer's end-of-sequence token

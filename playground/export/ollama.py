"""A ready Ollama `Modelfile` beside a GGUF: FROM the file, the chat template in Ollama's Go-template syntax,
and the end-of-turn token as a stop word.

The Go template is derived by rendering the model's own (Jinja) chat template on probe conversations: a
ChatML template (`<|im_start|>role\\n…<|im_end|>\\n`, as SmolLM2's), with or without a default system prompt
added when the conversation has none, becomes the equivalent Go template. Any other template is left to
Ollama, which reads tokenizer.chat_template from the GGUF and matches it against the templates it knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.i18n import t

START, END = "<|im_start|>", "<|im_end|>"


def _turn(role: str, content: str) -> str:
    return f"{START}{role}\n{content}{END}\n"


@dataclass(frozen=True)
class ChatML:
    default_system: str | None  # the system prompt the template adds when the conversation has none


def chatml(tokenizer) -> ChatML | None:
    """The ChatML shape of the tokenizer's chat template, or None when it renders anything else."""
    if not getattr(tokenizer, "chat_template", None):
        return None

    def render(messages: list[dict]) -> str:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    try:
        full = render([{"role": "system", "content": "S1"}, {"role": "user", "content": "U1"},
                       {"role": "assistant", "content": "A1"}, {"role": "user", "content": "U2"}])
        single = render([{"role": "user", "content": "U1"}])
    except Exception:  # noqa: BLE001 - a template that needs other inputs is not ChatML
        return None
    expected = _turn("system", "S1") + _turn("user", "U1") + _turn("assistant", "A1") + _turn("user", "U2")
    if full != expected + f"{START}assistant\n":
        return None
    suffix = _turn("user", "U1") + f"{START}assistant\n"
    if not single.endswith(suffix):
        return None
    prefix = single[: -len(suffix)]
    if not prefix:
        return ChatML(None)
    head = f"{START}system\n"
    if prefix.startswith(head) and prefix.endswith(f"{END}\n") and prefix.count(START) == 1:
        return ChatML(prefix[len(head): -len(END) - 1])
    return None


def go_template(shape: ChatML) -> str:
    """Ollama's TEMPLATE for a ChatML chat template (same text for every conversation of system, user and
    assistant turns, the assistant header last)."""
    if shape.default_system is None:
        return (f"{{{{- range .Messages }}}}{START}{{{{ .Role }}}}\n{{{{ .Content }}}}{END}\n{{{{ end }}}}"
                f"{START}assistant\n")
    return (f"{{{{- range $i, $m := .Messages }}}}{{{{- if and (eq $i 0) (ne $m.Role \"system\") }}}}"
            f"{START}system\n{shape.default_system}{END}\n{{{{ end }}}}"
            f"{START}{{{{ $m.Role }}}}\n{{{{ $m.Content }}}}{END}\n{{{{ end }}}}{START}assistant\n")


def modelfile(gguf_name: str, tokenizer) -> str:
    """The Modelfile's text: FROM ./<gguf_name>, TEMPLATE (for ChatML), PARAMETER stop <end of turn>."""
    lines = [f"# {t('export.modelfile.comment')}", f"FROM ./{gguf_name}", ""]
    shape = chatml(tokenizer)
    if shape is not None:
        lines += [f'TEMPLATE """{go_template(shape)}"""', ""]
    else:
        lines += [f"# {t('export.modelfile.no_template')}", ""]
    stops = [END] if shape is not None else []
    eos = getattr(tokenizer, "eos_token", None)
    if eos and eos not in stops:
        stops.append(eos)
    lines += [f'PARAMETER stop "{stop}"' for stop in stops]
    lines.append("PARAMETER temperature 0")
    return "\n".join(lines) + "\n"

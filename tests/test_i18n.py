"""Both languages complete: the same keys, the same {placeholders}, no empty text; the lookup and its rules."""

from __future__ import annotations

import threading

import pytest

from playground import i18n
from playground.i18n import CATALOG, LANGUAGES, normalize, placeholders, t, using


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_key_has_a_text_in_every_language(language):
    missing = sorted(CATALOG["en"].keys() - CATALOG[language].keys())
    extra = sorted(CATALOG[language].keys() - CATALOG["en"].keys())
    assert missing == [], f"{len(missing)} keys without a {language} text: {missing[:20]}"
    assert extra == [], f"{language} texts for keys English does not have: {extra}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_empty_and_both_languages_share_placeholders(language):
    assert [key for key, text in CATALOG[language].items() if not text.strip()] == []
    differing = {key: (placeholders(CATALOG["en"][key]), placeholders(text))
                 for key, text in CATALOG[language].items() if placeholders(CATALOG["en"][key]) != placeholders(text)}
    assert differing == {}


def test_korean_texts_are_korean():
    """A Korean text with no Hangul at all is an untranslated copy, unless it is a name, a formula or a number."""
    hangul = lambda text: any("\uac00" <= ch <= "\ud7a3" for ch in text)  # noqa: E731
    untranslated = [key for key, text in CATALOG["ko"].items()
                    if not hangul(text) and text != CATALOG["en"][key] and any(ch.isalpha() for ch in text)]
    assert untranslated == []


def test_language_rules():
    assert normalize("ko-KR,ko;q=0.9,en-US;q=0.8") == "ko"
    assert normalize("fr-FR, en;q=0.5") == "en" and normalize("de") is None and normalize(None) is None
    assert t("tab.quant") == "Quantization Lab" and t("tab.quant").key == "tab.quant"
    with using("ko"):
        assert t("tab.quant") == CATALOG["ko"]["tab.quant"]
        with using("en"):
            assert t("tab.quant") == "Quantization Lab"
    with using("xx"):  # unknown: English
        assert t("tab.quant") == "Quantization Lab"
    with pytest.raises(KeyError):
        t("no.such.key")


def test_the_resolver_answers_when_no_language_is_set_and_threads_keep_their_own():
    i18n.set_resolver(lambda: "ko-KR")
    try:
        assert t("tab.quant") == CATALOG["ko"]["tab.quant"]
        seen = []
        thread = threading.Thread(target=lambda: seen.append(t("tab.quant")))
        with using("en"):  # an explicit language is this thread's (context's) alone
            thread.start()
            thread.join()
            assert t("tab.quant") == "Quantization Lab"
        assert seen == [CATALOG["ko"]["tab.quant"]]
    finally:
        i18n.set_resolver(None)


def test_a_text_shown_again_renders_its_nested_texts_in_the_new_language():
    from playground import i18n, models

    with i18n.using("en"):
        note = i18n.t("quant.origin_note", origin=models.weights_origin(models.BUNDLED_ID))
    with i18n.using("ko"):
        again = note.again()
    assert again == i18n.in_language("quant.origin_note", "ko",
                                     origin=i18n.in_language("common.origin.bundled", "ko", format="Q4_1",
                                                             model_id=models.BUNDLED_ID))
    assert "shipped" in note and "shipped" not in again

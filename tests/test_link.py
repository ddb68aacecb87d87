"""A page's settings as a link: encode only what differs, decode and validate every value, survive hostile links."""

from __future__ import annotations

import urllib.parse

import pytest

from playground import link
from playground.i18n import using
from playground.link import MAX_LINK_CHARS, Setting, decode, encode

SPECS = {
    "quant": {
        "schemes": Setting("choices", (["absmax", "zeropoint", "nf4", "fp4"],),
                           choices=("absmax", "zeropoint", "nf4", "fp4")),
        "bits": Setting("int", (4,), minimum=2, maximum=8, step=1),
        "granularity": Setting("choice", ("block",), choices=("tensor", "row", "block")),
        "blocksize": Setting("choice", ("64",), choices=("32", "64", "128"), custom=True),
        "double_quant": Setting("bool", (False,)),
        "numbers": Setting("text", ("0.5, -1.2",), max_chars=2048),
        "outlier_fraction": Setting("float", (0.01,)),
    },
    "adapters": {"dropout": Setting("float", (0.05,), minimum=0, maximum=0.5, step=0.05)},
    "studio": {
        "rank": Setting("int", (8,), minimum=1, maximum=256),
        "learning_rate": Setting("float", (0.001,)),
        "prompt": Setting("text", ("What is the capital of Italy?", "이탈리아의 수도는 어디인가요?")),
    },
}
DEFAULTS = {tab: {name: setting.defaults[0] for name, setting in settings.items()} for tab, settings in SPECS.items()}


def values(**changes) -> dict:
    current = {tab: dict(named) for tab, named in DEFAULTS.items()}
    for key, value in changes.items():
        tab, name = key.split("__")
        current[tab][name] = value
    return current


def test_only_what_differs_from_the_defaults_is_in_the_link_compact_and_readable():
    assert encode("quant", DEFAULTS, SPECS).query == "?tab=quant"
    assert encode(None, DEFAULTS, SPECS).query == "?"
    changed = values(quant__schemes=["fp4", "nf4"], quant__bits=4.0, studio__rank=16.0, quant__double_quant=True,
                     studio__learning_rate=2e-4, adapters__dropout=0.1)
    assert encode("studio", changed, SPECS).query == (
        "?tab=studio&quant.schemes=fp4,nf4&quant.double_quant=1&adapters.dropout=0.1&studio.rank=16"
        "&studio.learning_rate=0.0002")
    # a catalog text shown in the page's language is a default in every language
    assert encode("quant", values(studio__prompt="이탈리아의 수도는 어디인가요?"), SPECS).query == "?tab=quant"
    assert encode("quant", values(studio__prompt="Hi & bye, 1+1=2?"), SPECS).query == (
        "?tab=quant&studio.prompt=Hi%20%26%20bye,%201%2B1%3D2%3F")


def test_round_trip_restores_every_value_with_its_type():
    changed = values(quant__schemes=["nf4", "absmax"], quant__bits=3, quant__granularity="row",
                     quant__blocksize="100", quant__numbers="1.2, -0.5\n-4.3", quant__outlier_fraction=0.125,
                     studio__rank=64, studio__prompt="Ahoy? 어디", adapters__dropout=0.35)
    decoded = decode(encode("adapters", changed, SPECS).query, SPECS)
    assert decoded.problems == [] and decoded.unknown == [] and decoded.refused is None
    assert decoded.tab == "adapters"
    assert decoded.values == {
        "quant": {"schemes": ["absmax", "nf4"], "bits": 3, "granularity": "row", "blocksize": "100",
                  "numbers": "1.2, -0.5\n-4.3", "outlier_fraction": 0.125},
        "adapters": {"dropout": 0.35},
        "studio": {"rank": 64, "prompt": "Ahoy? 어디"},
    }
    assert isinstance(decoded.values["studio"]["rank"], int) and decoded.message() == ""


def test_readable_spellings_are_accepted():
    decoded = decode("tab=studio&quant.double_quant=true&quant.schemes=&studio.rank=16.0&quant.bits=%2B5", SPECS)
    assert decoded.values == {"quant": {"double_quant": True, "schemes": [], "bits": 5}, "studio": {"rank": 16}}
    assert decoded.tab == "studio" and decoded.problems == []
    assert decode("?tab=quant", SPECS).tab == "quant"  # with its "?"


@pytest.mark.parametrize(("query", "reason"), [
    ("quant.bits=9", "quant.bits: must be between 2 and 8"),
    ("quant.bits=1", "quant.bits: must be between 2 and 8"),
    ("quant.bits=4.5", "quant.bits: must be a whole number"),
    ("quant.bits=four", "quant.bits: must be a number"),
    ("quant.bits=nan", "quant.bits: must be a number"),
    ("studio.learning_rate=inf", "studio.learning_rate: must be a number"),
    ("studio.rank=" + "9" * 400, "studio.rank: must be a number"),
    ("studio.rank=1e400", "studio.rank: must be a number"),
    ("studio.rank=0", "studio.rank: must be between 1 and 256"),
    ("adapters.dropout=0.12", "adapters.dropout: must be 0 plus a multiple of 0.05"),
    ("adapters.dropout=-0.05", "adapters.dropout: must be between 0 and 0.5"),
    ("quant.granularity=column", "quant.granularity: must be one of tensor, row, block"),
    ("quant.schemes=nf4,int3", "quant.schemes: must be one of absmax, zeropoint, nf4, fp4"),
    ("quant.double_quant=maybe", "quant.double_quant: must be 1 or 0"),
    ("quant.numbers=" + "1" * 2049, "quant.numbers: at most 2048 characters"),
    ("quant.blocksize=" + "6" * 201, "quant.blocksize: at most 200 characters"),
    ("quant.numbers=1%00%1b[2J", "quant.numbers: contains control characters"),
    ("tab=settings", "tab “settings” does not exist (one of quant, adapters, studio)"),
    ("quant.bits=5&quant.bits=6", "quant.bits is given twice (the first is used)"),
])
def test_a_wrong_value_is_one_problem_and_its_default_stays(query, reason):
    with using("en"):
        decoded = decode(query + "&studio.rank=32", SPECS) if "studio.rank" not in query else decode(query, SPECS)
    assert decoded.problems == [reason]
    assert "bits" not in decoded.values.get("quant", {}) or decoded.values["quant"]["bits"] == 5
    assert decoded.message() == (
        f"Some settings of this link were not applied (their defaults stay): {reason}.")


def test_unknown_keys_are_ignored_with_a_note_shown_safely():
    with using("en"):
        decoded = decode("quant.bits=3&quant.colour=red&x=1&lang=ko&view=api&%3Cscript%3Ealert(1)%3C%2Fscript%3E=1"
                         "&studio.rank=8", SPECS)
        assert decoded.values == {"quant": {"bits": 3}, "studio": {"rank": 8}}
        assert decoded.unknown == ["quant.colour", "x", "?script?alert?1???script?"]  # lang and view belong to others
        assert decoded.message() == "Ignored, not settings of this page: `quant.colour`, `x`, `?script?alert?1???script?`."
        many = decode("&".join(f"k{i}=1" for i in range(9)) + "&quant.bits=20", SPECS).message()
        assert many == ("Some settings of this link were not applied (their defaults stay): quant.bits: must be between "
                        "2 and 8. Ignored, not settings of this page: `k0`, `k1`, `k2`, `k3`, `k4` (and 4 more).")
        long_key = decode("a" * 100 + "=1", SPECS).unknown
        assert long_key == ["a" * 40 + "…"]


def test_a_huge_or_unreadable_link_is_refused_before_parsing():
    huge = "quant.bits=3&" + "x" * MAX_LINK_CHARS
    with using("en"):
        decoded = decode(huge, SPECS)
        assert decoded.values == {} and decoded.refused == (
            f"This link is too long ({len(huge)} characters; at most 4096): none of its settings were applied.")
        assert decoded.message() == decoded.refused
        many = decode("&".join(["a=1"] * 300), SPECS)
        assert many.values == {} and "more than 200 parts" in many.refused
        broken = decode("quant.numbers=%FF%FE&quant.bits=3", SPECS)
        assert broken.values == {} and broken.refused.startswith("This link could not be read")
    with using("ko"):
        assert decode(huge, SPECS).refused.startswith("링크가 너무 깁니다")


def test_the_message_is_in_the_page_language():
    with using("ko"):
        decoded = decode("quant.bits=9&nope=1", SPECS)
    with using("ko"):
        message = decoded.message()
    assert message == ("이 링크의 일부 설정은 적용하지 않았습니다(기본값 유지): quant.bits: 2 이상 8 이하여야 합니다. "
                       "이 페이지의 설정이 아니어서 무시했습니다: `nope`.")


def test_encode_leaves_out_what_would_not_come_back_and_stays_within_the_bound():
    with using("en"):
        encoded = encode("quant", values(quant__bits=12, studio__rank=None, quant__numbers="1, 2"), SPECS)
        assert encoded.query == "?tab=quant&quant.numbers=1,%202"
        assert encoded.left_out == ["quant.bits: must be between 2 and 8"]
        long_numbers = ", ".join(["0.12"] * 300)  # 1,798 characters: within the text's bound, over the link's
        encoded = encode("quant", values(quant__numbers=long_numbers, quant__bits=3), SPECS, max_chars=1000)
        assert encoded.query == "?tab=quant&quant.bits=3"
        assert encoded.left_out == [f"quant.numbers ({len(long_numbers)} characters: too long for a link)"]


def test_every_encoded_link_fits_the_bound_and_parses_as_a_url():
    many = values(quant__numbers="9" * 2048, studio__prompt="가" * 2048)
    encoded = encode("quant", many, SPECS)
    assert len(encoded.query) - 1 <= MAX_LINK_CHARS and len(encoded.left_out) == 2
    assert urllib.parse.urlsplit("http://h/" + encoded.query).query == encoded.query[1:]


def test_a_list_setting_refuses_choices_with_commas():
    with pytest.raises(ValueError, match="commas"):
        Setting("choices", ([],), choices=("a,b", "c"))
    assert link.shown_key("quant.bits") == "quant.bits"

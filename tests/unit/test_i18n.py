"""Both catalogues say the same things, and every key the code asks for exists."""

from __future__ import annotations

import re
import string

import pytest

from bot.domain.categories import CATEGORIES
from bot.domain.tickets import Action, Status
from bot.i18n import LANGUAGES, catalogue, normalize_lang, t, tn
from tests.conftest import ROOT


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    zh, en = catalogue("zh-CN"), catalogue("en")
    assert set(zh) == set(en)
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


def test_keys_named_in_code_exist() -> None:
    literal_key = re.compile(r"""\bt\(\s*[\w.]+,\s*f?["']([a-z_]+\.[a-z_.{}]+)["']""")
    keys: set[str] = set()
    for package in ("bot", "handlers"):
        for path in (ROOT / package).rglob("*.py"):
            keys.update(m for m in literal_key.findall(path.read_text(encoding="utf-8")) if "{" not in m)
    assert len(keys) > 40
    for lang in LANGUAGES:
        missing = keys - set(catalogue(lang))
        assert not missing, (lang, missing)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_status_category_and_action_has_a_name(lang: str) -> None:
    for status in Status:
        assert t(lang, f"status.{status.value}")
    for category in CATEGORIES:
        assert t(lang, f"category.{category}")
    for action in Action:
        assert t(lang, f"action.{action.value}")


def test_platform_language_codes_map_to_catalogues() -> None:
    assert normalize_lang("zh-hans") == "zh-CN"
    assert normalize_lang("en-GB") == "en"
    assert normalize_lang("fr", default="en") == "en"
    assert normalize_lang(None) == "zh-CN"


def test_any_language_code_says_what_its_catalogue_says_however_many_codes_were_seen() -> None:
    codes = ["zh-hans", "zh-TW", "en-GB", "EN", "fr", "", None, *(f"x{n}" for n in range(100)), "en-US"]
    for _ in range(2):  # each code remembered the first time, and found again the second
        for code in codes:
            expected = catalogue(normalize_lang(code))["reminder.limits_joiner"]
            assert t(code, "reminder.limits_joiner") == expected, code  # type: ignore[arg-type]


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(KeyError):
        t("en", "no.such.key")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_refusal_says_what_to_do_instead(lang: str) -> None:
    """A refusal names a command to use or an action to take, never only "no"."""
    instead = ("/", "请", "please", "just", "write", "look at it again", "describe", "tell me")
    for key, text in catalogue(lang).items():
        if key.startswith("error.") and key != "error.usage":  # a usage line is itself the command to send
            assert any(word in text.lower() for word in instead), key


def test_counted_phrases_have_real_english_plurals() -> None:
    assert tn("en", "cli.messages", 1) == "1 message"
    assert tn("en", "cli.messages", 2) == "2 messages"
    assert tn("en", "cli.policies", 0) == "0 policies"
    assert tn("zh-CN", "cli.messages", 2) == "2 条消息"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_fast_loader_reads_each_catalogue_as_pure_python_yaml_does(lang: str) -> None:
    import yaml

    from bot.i18n import _flatten

    with (ROOT / "bot" / "i18n" / f"{lang}.yaml").open(encoding="utf-8") as f:
        assert catalogue(lang) == _flatten(yaml.load(f, Loader=yaml.SafeLoader))

"""Configuration: the shipped demo district, environment overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, Settings, load_settings
from bot.domain.categories import CATEGORIES
from tests.conftest import ROOT


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def shipped() -> dict[str, object]:
    loaded = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return caught.value.problems


def test_shipped_config_is_a_realistic_demo_district(settings: Settings) -> None:
    assert len(settings.departments) >= 6
    assert len(settings.officers) >= 8
    assert set(settings.categories) == set(CATEGORIES)
    assert settings.database.url == "sqlite+aiosqlite:///xiaoer.db"
    roles = {o.role for o in settings.officers}
    assert {"officer", "head", "dispatcher", "admin"} <= roles
    assert any(e.liaison for e in settings.demo.enterprises)
    assert any(not e.liaison for e in settings.demo.enterprises)


def test_environment_overrides_nested_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIAOER_DATABASE__URL", "postgresql+asyncpg://x@db/xiaoer")
    monkeypatch.setenv("XIAOER_CHANNELS__TELEGRAM__TOKEN", "123:abc")
    monkeypatch.setenv("XIAOER_LANGUAGE", "en")
    settings = load_settings(ROOT / "config.yaml")
    assert settings.database.url == "postgresql+asyncpg://x@db/xiaoer"
    assert settings.channels.telegram.token == "123:abc"
    assert settings.language == "en"
    assert len(settings.officers) >= 8  # the rest still comes from the file


def test_xiaoer_config_points_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = shipped()
    document["timezone"] = "Asia/Chongqing"
    monkeypatch.setenv("XIAOER_CONFIG", str(write(tmp_path, document)))
    assert load_settings().timezone == "Asia/Chongqing"


def test_missing_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nope.yaml")
    assert "file not found" in problem
    assert "XIAOER_CONFIG" in problem


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("language: zh-CN\ndepartments: [\n  - broken: {\n", encoding="utf-8")
    [problem] = problems_of(path)
    assert problem.startswith("line ")
    assert "not valid YAML" in problem


def test_unknown_department_of_an_officer_names_the_key(tmp_path: Path) -> None:
    document = shipped()
    officers = document["officers"]
    assert isinstance(officers, list)
    officers[3]["department"] = "ministry_of_magic"
    problems = problems_of(write(tmp_path, document))
    assert "officers[3].department: unknown department 'ministry_of_magic'" in problems


def test_wrong_types_and_unknown_keys_are_named(tmp_path: Path) -> None:
    document = shipped()
    officers = document["officers"]
    assert isinstance(officers, list)
    officers[0]["role"] = "emperor"
    officers[1]["identities"] = {"telegram": "not a number"}
    document["databse"] = {"url": "typo"}
    problems = problems_of(write(tmp_path, document))
    assert any(p.startswith("officers[0].role:") for p in problems)
    assert any(p.startswith("officers[1].identities: Value error, telegram:") for p in problems)
    assert "databse: unknown key (check its spelling and indentation)" in problems


def test_missing_categories_and_bad_references(tmp_path: Path) -> None:
    document = shipped()
    categories = document["categories"]
    assert isinstance(categories, dict)
    del categories["tax"]
    categories["finance"] = {"lead": "nowhere"}
    departments = document["departments"]
    assert isinstance(departments, list)
    departments[1]["head"] = "zhou_min"  # heads another department
    problems = problems_of(write(tmp_path, document))
    assert "categories.finance.lead: unknown department 'nowhere'" in problems
    assert any(p.startswith("categories: missing tax") for p in problems)
    assert any(p.startswith("departments[1].head: officer 'zhou_min' belongs to") for p in problems)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    document = shipped()
    officers = document["officers"]
    assert isinstance(officers, list)
    officers.append(dict(officers[0]))
    problems = problems_of(write(tmp_path, document))
    assert f"officers: '{officers[0]['id']}' appears more than once" in problems


def test_member_groups_and_policy_options_are_read_and_checked(tmp_path: Path) -> None:
    document = shipped()
    document["groups"] = [
        {"id": "makers", "name": "制造业群", "chat_id": -100201, "tags": {"industry": ["manufacturing"]}},
        {"id": "en", "name": "Expats", "chat_id": "-100202", "lang": "en"},
    ]
    document["policies"] = {"remind_days_before": 3}
    settings = load_settings(write(tmp_path, document))
    makers, expats = settings.member_groups()
    assert (makers.chat_id, makers.lang) == ("-100201", "zh-CN")
    assert makers.tags.values("industry") == frozenset({"manufacturing"})
    assert (expats.chat_id, expats.lang, expats.tags.is_empty) == ("-100202", "en", True)
    assert settings.policy_options().remind_days_before == 3
    document["groups"] = [
        {"id": "a", "name": "A", "chat_id": -1},
        {"id": "a", "name": "B", "chat_id": -1},
        {"id": "c", "name": "C", "chat_id": "@huli_group"},
    ]
    problems = problems_of(write(tmp_path, document))
    assert "groups: 'a' appears more than once" in problems
    assert "groups[].chat_id: 'telegram:-1' appears more than once" in problems
    assert any(p.startswith("groups[2].chat_id: a Telegram chat id is a number") for p in problems)
    document["groups"] = [{"id": "d", "name": "D", "chat_id": -4, "tags": {"size": ["规上"]}}]
    assert problems_of(write(tmp_path, document)) == [
        "groups[0].tags.size: unknown key (check its spelling and indentation)"
    ]


def test_a_new_channels_identities_need_no_field_of_their_own(tmp_path: Path) -> None:
    document = shipped()
    officers = document["officers"]
    assert isinstance(officers, list)
    officers[0]["identities"] = {"dingtalk": "manager4711"}
    settings = load_settings(write(tmp_path, document))
    officer = settings.bootstrap_directory().officers[officers[0]["id"]]
    assert officer.identities["dingtalk"] == "manager4711"
    assert officer.identities["console"] == f"officer:{officer.id}"
    officers[1]["identities"] = {"dingtalk": "manager4711", "telegram": 5}
    problems = problems_of(write(tmp_path, document))
    assert any("officers[].identities.dingtalk" in p and "manager4711" in p for p in problems)


def test_the_old_per_channel_keys_say_what_to_write_instead(tmp_path: Path) -> None:
    document = shipped()
    officers, departments = document["officers"], document["departments"]
    assert isinstance(officers, list)
    assert isinstance(departments, list)
    officers[0]["telegram_id"] = 12345
    officers[1]["wecom_user_id"] = "lina"
    departments[0]["telegram_chat_id"] = -100123
    departments[0]["telegram_topics"] = True
    departments[1]["wecom_chat_id"] = "fin"
    instead = "replaced by a map by channel name: write"
    assert problems_of(write(tmp_path, document)) == [
        f"departments[0].telegram_chat_id: {instead} chats: {{telegram: -100123}} instead",
        f"departments[0].telegram_topics: {instead} topics: [telegram] instead",
        f"departments[1].wecom_chat_id: {instead} chats: {{wecom: fin}} instead",
        f"officers[0].telegram_id: {instead} identities: {{telegram: 12345}} instead",
        f"officers[1].wecom_user_id: {instead} identities: {{wecom: lina}} instead",
    ]


def test_the_old_telegram_section_says_where_it_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = shipped()
    channels = document["channels"]
    assert isinstance(channels, dict)
    document["telegram"] = channels.pop("telegram")
    problems = problems_of(write(tmp_path, document))
    assert [p for p in problems if p.startswith("telegram: moved to channels.telegram")]
    monkeypatch.setenv("XIAOER_TELEGRAM__TOKEN", "123:abc")  # the old variable, on a new config
    problems = problems_of(ROOT / "config.yaml")
    assert any("XIAOER_CHANNELS__TELEGRAM__" in p for p in problems)

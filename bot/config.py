"""One frozen model of config.yaml. Secrets and overrides come from XIAOER_* environment variables.

Precedence: explicit arguments, then the environment (`XIAOER_DATABASE__URL`, ...), then the YAML
file named by `XIAOER_CONFIG` (default `./config.yaml`). Problems are collected with their key
path so that `xiaoer` can print all of them and exit with status 2.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from bot.domain.categories import CATEGORIES
from bot.domain.enterprise import Enterprise
from bot.domain.messages import Role
from bot.domain.org import Department, Directory, Officer
from bot.domain.policies import MemberGroup, PolicyOptions, Tags
from bot.domain.sla import SlaLimits

DEFAULT_CONFIG_PATH = Path("config.yaml")
CONFIG_ENV = "XIAOER_CONFIG"
LANGUAGES = ("zh-CN", "en")


class ConfigError(Exception):
    """The configuration cannot be used; `problems` are lines of the form `key.path: what is wrong`."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DepartmentConfig(_Section):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    head: str | None = None
    lang: Literal["zh-CN", "en"] | None = None  # the officer group's language (default: `language`)
    telegram_chat_id: int | None = None
    # The group is a forum: each ticket gets its own topic there (plain posts if that fails).
    telegram_topics: bool = False


class OfficerConfig(_Section):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    department: str
    role: Literal["officer", "head", "dispatcher", "admin"] = "officer"
    lang: Literal["zh-CN", "en"] = "zh-CN"
    telegram_id: int | None = None
    wecom_user_id: str | None = None


class CategoryConfig(_Section):
    lead: str  # the department that leads the category (names of categories live in the catalogues)


class DemoEnterpriseConfig(_Section):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    uscc: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
    industry: str | None = None
    district: str | None = None
    size_class: str | None = None
    tags: tuple[str, ...] = ()
    liaison: str | None = None
    contact_name: str = "demo"
    contact_lang: Literal["zh-CN", "en"] = "zh-CN"


class DemoConfig(_Section):
    enterprises: tuple[DemoEnterpriseConfig, ...] = ()


class DatabaseConfig(_Section):
    url: str = "sqlite+aiosqlite:///xiaoer.db"
    echo: bool = False


class SlaConfig(_Section):
    """Placeholder limits in calendar time; the working-day SLA table replaces it in its issue."""

    response_hours: int = Field(default=24, gt=0)
    resolve_days: int = Field(default=7, gt=0)
    urgent_response_hours: int = Field(default=2, gt=0)
    urgent_resolve_days: int = Field(default=1, gt=0)
    survey_days: int = Field(default=3, gt=0)  # unanswered surveys close as "not rated" after this


class RasaConfig(_Section):
    url: str = "http://127.0.0.1:5005"
    token: str | None = None  # Rasa's --auth-token, if the server was started with one
    timeout_seconds: float = Field(default=5.0, gt=0)
    intent_map: dict[str, str] = {}  # the Rasa model's intent names -> ours, where they differ


class NluConfig(_Section):
    backend: Literal["builtin", "rasa"] = "builtin"
    model_path: str | None = None  # default: a cache file keyed by the training data's fingerprint
    clarify_below: float = Field(default=0.5, ge=0, le=1)  # ask rather than guess below this confidence
    rasa: RasaConfig = RasaConfig()


class TelegramConfig(_Section):
    token: str | None = None
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None  # the public https URL Telegram posts updates to
    webhook_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    host: str = "127.0.0.1"  # where the webhook server listens (behind a reverse proxy)
    port: int = Field(default=8080, ge=0, le=65535)


class GroupTagsConfig(_Section):
    """What a member-unit group's members are; a dimension left empty means mixed."""

    industry: tuple[str, ...] = ()
    district: tuple[str, ...] = ()
    size_class: tuple[str, ...] = ()
    qualifications: tuple[str, ...] = ()


class GroupConfig(_Section):
    """A member-unit group chat that receives the policy notices meant for its members."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    channel: Literal["telegram", "wecom"] = "telegram"
    chat_id: int | str
    lang: Literal["zh-CN", "en"] | None = None  # default: `language`
    tags: GroupTagsConfig = GroupTagsConfig()


class PoliciesConfig(_Section):
    remind_days_before: int = Field(default=7, ge=0, le=90)  # deadline reminders start this many days ahead
    # Channels on which enterprises' people get notices and reminders in their private chats.
    channels: tuple[Literal["telegram", "wecom"], ...] = ("telegram",)
    excerpt_chars: int = Field(default=1500, ge=200, le=3500)  # how much of a policy's body a notice carries


class ChannelsConfig(_Section):
    console: bool = True
    wecom: dict[str, Any] | None = None  # filled by the WeCom issue


_yaml_data: ContextVar[dict[str, Any]] = ContextVar("_yaml_data")


class _YamlDataSource(PydanticBaseSettingsSource):
    """Feeds the already-parsed YAML document to pydantic-settings, below the environment."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return _yaml_data.get({}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_yaml_data.get({}))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="XIAOER_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    language: Literal["zh-CN", "en"] = "zh-CN"
    timezone: str = "Asia/Shanghai"
    database: DatabaseConfig = DatabaseConfig()
    departments: tuple[DepartmentConfig, ...] = Field(min_length=1)
    officers: tuple[OfficerConfig, ...] = Field(min_length=1)
    categories: dict[str, CategoryConfig]
    demo: DemoConfig = DemoConfig()
    sla: SlaConfig = SlaConfig()
    nlu: NluConfig = NluConfig()
    telegram: TelegramConfig = TelegramConfig()
    channels: ChannelsConfig = ChannelsConfig()
    groups: tuple[GroupConfig, ...] = ()
    policies: PoliciesConfig = PoliciesConfig()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlDataSource(settings_cls))

    # --- derived views -------------------------------------------------------------------------

    def directory(self) -> Directory:
        return Directory.build(
            departments=(
                Department(
                    id=d.id,
                    name_zh=d.name_zh,
                    name_en=d.name_en,
                    head_officer_id=d.head,
                    lang=d.lang or self.language,
                )
                for d in self.departments
            ),
            officers=(_officer(o) for o in self.officers),
            category_leads={name: c.lead for name, c in self.categories.items()},
        )

    def sla_limits(self) -> SlaLimits:
        return SlaLimits(**self.sla.model_dump(exclude={"survey_days"}))

    def member_groups(self) -> list[MemberGroup]:
        return [
            MemberGroup(
                id=g.id,
                name=g.name,
                channel=g.channel,
                chat_id=str(g.chat_id).strip(),
                lang=g.lang or self.language,
                tags=Tags.of(g.tags.model_dump()),
            )
            for g in self.groups
        ]

    def policy_options(self) -> PolicyOptions:
        return PolicyOptions(
            remind_days_before=self.policies.remind_days_before,
            channels=tuple(self.policies.channels),
            excerpt_chars=self.policies.excerpt_chars,
        )

    def demo_enterprises(self) -> list[Enterprise]:
        return [
            Enterprise(
                id=e.id,
                name=e.name,
                uscc=e.uscc,
                industry=e.industry,
                district=e.district,
                size_class=e.size_class,
                tags=e.tags,
                liaison_officer_id=e.liaison,
            )
            for e in self.demo.enterprises
        ]


def _officer(o: OfficerConfig) -> Officer:
    identities = {"console": f"officer:{o.id}"}
    if o.telegram_id is not None:
        identities["telegram"] = str(o.telegram_id)
    if o.wecom_user_id is not None:
        identities["wecom"] = o.wecom_user_id
    return Officer(
        id=o.id,
        name=o.name,
        department_id=o.department,
        role=Role(o.role),
        lang=o.lang,
        identities=identities,
    )


def config_path(explicit: str | Path | None = None) -> Path:
    if explicit is not None:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read, validate and cross-check the configuration, or raise ConfigError naming every problem."""
    source = config_path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            str(source), [f"file not found (set {CONFIG_ENV} or --config to the config file)"]
        ) from None
    except OSError as exc:
        raise ConfigError(str(source), [f"cannot read the file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(str(source), [f"byte {exc.start} is not UTF-8: save the file as UTF-8"]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(source), [f"{where}not valid YAML ({problem})"]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(str(source), ["the top level must be a mapping of keys to values"])
    token = _yaml_data.set(document)
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = [_describe(err) for err in exc.errors()] + unknown_environment()
        raise ConfigError(str(source), problems) from None
    except SettingsError as exc:  # e.g. XIAOER_DATABASE='not json' for a whole section
        raise ConfigError(str(source), [f"environment: {exc}"]) from None
    finally:
        _yaml_data.reset(token)
    problems = cross_check(settings) + unknown_environment()
    if problems:
        raise ConfigError(str(source), problems)
    return settings


def _describe(err: Any) -> str:
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and indentation)"
    variable = _ENV_PREFIX + "__".join(str(p).upper() for p in err["loc"] if not isinstance(p, int))
    if path and variable in os.environ:
        message += f" (the value comes from the environment variable {variable})"
    return f"{path or '(top level)'}: {message}"


_ENV_PREFIX = "XIAOER_"
_NOT_SETTINGS = {"XIAOER_CONFIG", "XIAOER_NLU_CACHE", "XIAOER_TEST_POSTGRES_URL"}


def unknown_environment() -> list[str]:
    """XIAOER_* variables that set nothing: a typo there would otherwise go unnoticed."""
    problems = []
    for name in sorted(os.environ):
        if not name.startswith(_ENV_PREFIX) or name in _NOT_SETTINGS:
            continue
        top = name[len(_ENV_PREFIX) :].split("__")[0].lower()
        if top not in Settings.model_fields:
            problems.append(
                f"environment variable {name}: sets no configuration key (sections are separated by "
                f"two underscores, e.g. XIAOER_DATABASE__URL)"
            )
    return problems


def cross_check(settings: Settings) -> list[str]:
    """References between sections: every id that is named must exist, and be unique."""
    problems: list[str] = []
    dept_ids = _unique("departments", [d.id for d in settings.departments], problems)
    officer_ids = _unique("officers", [o.id for o in settings.officers], problems)
    officers = {o.id: o for o in settings.officers}
    for i, d in enumerate(settings.departments):
        if d.head is not None:
            if d.head not in officer_ids:
                problems.append(f"departments[{i}].head: unknown officer '{d.head}'")
            elif officers[d.head].department != d.id:
                problems.append(
                    f"departments[{i}].head: officer '{d.head}' belongs to department "
                    f"'{officers[d.head].department}', not '{d.id}'"
                )
    for i, o in enumerate(settings.officers):
        if o.department not in dept_ids:
            problems.append(f"officers[{i}].department: unknown department '{o.department}'")
    _unique("officers[].telegram_id", [o.telegram_id for o in settings.officers if o.telegram_id], problems)
    _unique(
        "officers[].wecom_user_id", [o.wecom_user_id for o in settings.officers if o.wecom_user_id], problems
    )
    for name, category in settings.categories.items():
        if name not in CATEGORIES:
            problems.append(f"categories.{name}: unknown category (expected one of {', '.join(CATEGORIES)})")
        if category.lead not in dept_ids:
            problems.append(f"categories.{name}.lead: unknown department '{category.lead}'")
    missing = [c for c in CATEGORIES if c not in settings.categories]
    if missing:
        problems.append(f"categories: missing {', '.join(missing)} (every category needs a lead department)")
    if settings.telegram.mode == "webhook" and not (
        settings.telegram.webhook_url and settings.telegram.webhook_secret
    ):
        problems.append(
            "telegram: mode webhook needs webhook_url and webhook_secret "
            "(XIAOER_TELEGRAM__WEBHOOK_URL, XIAOER_TELEGRAM__WEBHOOK_SECRET)"
        )
    if "system" in officer_ids:
        problems.append("officers: the id 'system' is reserved for Xiaoer itself in the audit log")
    _unique("groups", [g.id for g in settings.groups], problems)
    _unique("groups[].chat_id", [f"{g.channel}:{g.chat_id}" for g in settings.groups], problems)
    for i, g in enumerate(settings.groups):
        if g.channel == "telegram" and not str(g.chat_id).strip().lstrip("-").isdecimal():
            problems.append(
                f"groups[{i}].chat_id: a Telegram chat id is a number (a group's is negative, "
                f"such as -1001234567890), not {g.chat_id!r}"
            )
    _unique("demo.enterprises", [e.id for e in settings.demo.enterprises], problems)
    _unique("demo.enterprises[].uscc", [e.uscc for e in settings.demo.enterprises if e.uscc], problems)
    for i, e in enumerate(settings.demo.enterprises):
        if e.liaison is not None and e.liaison not in officer_ids:
            problems.append(f"demo.enterprises[{i}].liaison: unknown officer '{e.liaison}'")
    return problems


def _unique(what: str, values: list[Any], problems: list[str]) -> set[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            problems.append(f"{what}: '{value}' appears more than once")
        seen.add(value)
    return seen

"""One frozen model of config.yaml. Secrets and overrides come from XIAOER_* environment variables.

Precedence: explicit arguments, then the environment (`XIAOER_DATABASE__URL`, ...), then the YAML
file named by `XIAOER_CONFIG` (default `./config.yaml`). Problems are collected with their key
path so that `xiaoer` can print all of them and exit with status 2.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from bot.channels.dingtalk.config import DingtalkConfig
from bot.channels.telegram.config import TelegramConfig
from bot.channels.wecom.config import WecomConfig
from bot.config_section import ChannelSection, Section
from bot.domain.bulletin import BulletinRules, Schedule
from bot.domain.categories import CATEGORIES
from bot.domain.enterprise import Enterprise
from bot.domain.escalation import Ladder
from bot.domain.messages import Role
from bot.domain.org import Department, Directory, Officer
from bot.domain.policies import MemberGroup, PolicyOptions, Tags
from bot.domain.sla import CONSULTATION, URGENT, Limits, SlaPolicy, SlaTable
from bot.domain.workcalendar import WorkingCalendar
from bot.holiday_calendar import build_calendar

DEFAULT_CONFIG_PATH = Path("config.yaml")
CONFIG_ENV = "XIAOER_CONFIG"
LANGUAGES = ("zh-CN", "en")


class ConfigError(Exception):
    """The configuration cannot be used; `problems` are lines of the form `key.path: what is wrong`."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class DepartmentConfig(Section):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    head: str | None = None
    lang: Literal["zh-CN", "en"] | None = None  # the officer group's language (default: `language`)
    # The department's officer group chat on each channel, by the channel's name:
    # {telegram: -1001234567890, wecom: hrgroup, dingtalk: cid…}
    chats: dict[str, int | str] = Field(default_factory=dict)
    # Channels whose group is a forum: each ticket gets a topic of its own there (Telegram).
    topics: tuple[str, ...] = ()
    # Other names officers write it by in commands (`aliases: [市监局, 市场监管局]`).
    aliases: tuple[str, ...] = ()
    # Replaced by chats/topics: refused with what to write instead.
    telegram_chat_id: int | str | None = None
    telegram_topics: bool | None = None
    wecom_chat_id: str | None = None

    @field_validator("chats")
    @classmethod
    def _chat_ids(cls, chats: dict[str, int | str]) -> dict[str, int | str]:
        wecom = chats.get("wecom")
        if wecom is not None and not re.fullmatch(r"[0-9A-Za-z]{1,32}", str(wecom)):
            raise ValueError(f"wecom: a WeCom app group chat id is 1-32 letters or digits, not {wecom!r}")
        telegram = chats.get("telegram")
        if telegram is not None and not str(telegram).strip().lstrip("-").isdecimal():
            raise ValueError(f"telegram: a Telegram chat id is a number, not {telegram!r}")
        return chats


class OfficerConfig(Section):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    department: str
    role: Literal["officer", "head", "dispatcher", "admin"] = "officer"
    lang: Literal["zh-CN", "en"] = "zh-CN"
    # The officer's identity on each channel, by the channel's name:
    # {telegram: 123456789, wecom: zhangsan, dingtalk: manager4220}
    identities: dict[str, int | str] = Field(default_factory=dict)
    # Replaced by identities: refused with what to write instead.
    telegram_id: int | str | None = None
    wecom_user_id: str | None = None

    @field_validator("identities")
    @classmethod
    def _own_keys_only(cls, identities: dict[str, int | str]) -> dict[str, int | str]:
        if "console" in identities:
            raise ValueError("console: the console addresses every officer as officer:<id> by itself")
        telegram = identities.get("telegram")
        if telegram is not None and not str(telegram).strip().isdecimal():
            raise ValueError(f"telegram: a Telegram user id is a number, not {telegram!r}")
        return identities


class CategoryConfig(Section):
    lead: str  # the department that leads the category (names of categories live in the catalogues)


class DemoEnterpriseConfig(Section):
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


class DemoConfig(Section):
    enterprises: tuple[DemoEnterpriseConfig, ...] = ()


class DatabaseConfig(Section):
    url: str = "sqlite+aiosqlite:///xiaoer.db"
    echo: bool = False


class LoggingConfig(Section):
    """What `xiaoer run` logs: `text` lines for a terminal, `json` lines for a log collector."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class LimitsConfig(Section):
    """One row of the SLA table. Keys left out take the general row's value."""

    sign_hours: float | None = Field(default=None, gt=0)  # working hours to sign for the ticket
    contact_hours: float | None = Field(default=None, gt=0)  # working hours to first contact the enterprise
    resolve_days: int | None = Field(default=None, gt=0)  # working days to resolve it
    survey_days: int | None = Field(default=None, gt=0)  # calendar days the enterprise has to rate the answer


class SlaRowConfig(Section):
    normal: LimitsConfig = LimitsConfig()
    urgent: LimitsConfig = LimitsConfig()


_LEGACY_SLA_KEYS = {
    "response_hours": "general.normal.contact_hours",
    "resolve_days": "general.normal.resolve_days",
    "urgent_response_hours": "general.urgent.contact_hours",
    "urgent_resolve_days": "general.urgent.resolve_days",
}


class SlaConfig(Section):
    """Time limits per kind of demand and priority, in working time (see bot.domain.sla)."""

    survey_days: int = Field(default=3, gt=0)  # unanswered surveys close as "not rated" after this
    general: SlaRowConfig = SlaRowConfig()  # general demands (一般诉求)
    consultation: SlaRowConfig = SlaRowConfig(normal=LimitsConfig(resolve_days=3))  # policy questions
    # categories whose limits differ (complex ones)
    categories: dict[str, SlaRowConfig] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _no_calendar_time_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            old = [key for key in _LEGACY_SLA_KEYS if key in data]
            if old:
                moves = ", ".join(f"sla.{key} -> sla.{_LEGACY_SLA_KEYS[key]}" for key in old)
                raise ValueError(
                    f"the calendar-time limits became an SLA table in working time: move {moves} "
                    "(see config.yaml)"
                )
        return data

    def table(self) -> SlaTable:
        general = (
            _limits(self.general.normal, Limits(survey_days=self.survey_days)),
            _limits(self.general.urgent, replace(URGENT, survey_days=self.survey_days)),
        )
        kinds = {CONSULTATION: self.consultation, **self.categories}
        return SlaTable(
            normal=general[0],
            urgent=general[1],
            kinds={
                kind: (_limits(row.normal, general[0]), _limits(row.urgent, general[1]))
                for kind, row in kinds.items()
            },
        )


def _limits(row: LimitsConfig, fallback: Limits) -> Limits:
    return Limits(
        sign_hours=row.sign_hours if row.sign_hours is not None else fallback.sign_hours,
        contact_hours=row.contact_hours if row.contact_hours is not None else fallback.contact_hours,
        resolve_days=row.resolve_days if row.resolve_days is not None else fallback.resolve_days,
        survey_days=row.survey_days if row.survey_days is not None else fallback.survey_days,
    )


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PERIOD = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class CalendarConfig(Section):
    """Working days and business hours: deadlines count only this time."""

    weekdays: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = (
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    )
    hours: tuple[str, ...] = ("09:00-12:00", "13:30-18:00")  # business hours, lunch left out
    official_holidays: Literal["CN"] | None = "CN"  # public holidays and 调休 workdays; null: none
    extra_holidays: tuple[date, ...] = ()  # local days off
    extra_workdays: tuple[date, ...] = ()  # local or newly announced make-up workdays

    @field_validator("weekdays")
    @classmethod
    def _some_working_day(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:  # no deadline could ever be counted, and every reminder would wait forever
            raise ValueError("no working day: list at least one, e.g. [mon, tue, wed, thu, fri]")
        return value

    @field_validator("hours")
    @classmethod
    def _periods_in_order(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("give at least one period, e.g. ['09:00-12:00', '13:30-18:00']")
        previous_end = "00:00"
        for period in value:
            if not _PERIOD.match(period):
                raise ValueError(f"{period!r} is not a period: write HH:MM-HH:MM, e.g. 09:00-12:00")
            start, end = period.split("-")
            if not start < end:
                raise ValueError(f"{period!r} ends before it starts")
            if start < previous_end:
                raise ValueError(f"{period!r} overlaps the period before it: list periods in order")
            previous_end = end
        return value

    def periods(self) -> tuple[tuple[time, time], ...]:
        return tuple((_clock(p.split("-")[0]), _clock(p.split("-")[1])) for p in self.hours)


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(hours, minutes)


class RemindersConfig(Section):
    """The reminder sweep and its escalation ladder (working time)."""

    sweep_minutes: int = Field(default=5, ge=1, le=60)  # how often the sweep runs
    # The first sweep after a start; null: one interval after it. A restart during working hours
    # need not wait a whole interval for the nudges that fell due while no process was up.
    first_sweep_seconds: int | None = Field(default=None, ge=0, le=3600)
    warn_at: float = Field(default=0.75, gt=0, lt=1)  # share of a limit gone before the first warning
    repeat_first_hours: float = Field(default=2, gt=0)  # overdue reminders repeat after 2, 4, 8 … hours
    repeat_factor: float = Field(default=2, ge=1)
    repeat_max_hours: float = Field(default=15, gt=0)  # … but at least this often
    supervise_after_days: float = Field(default=1, gt=0)  # overdue this long: 督办 to the department head
    leadership_after_days: float = Field(default=3, gt=0)  # overdue this long: the leadership digest
    digest_at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # each working morning
    leaders: tuple[str, ...] = ()  # replaced by leadership.officers: refused with what to do

    @model_validator(mode="after")
    def _ladder_in_order(self) -> RemindersConfig:
        if self.leadership_after_days <= self.supervise_after_days:
            raise ValueError(
                "leadership_after_days must be more than supervise_after_days (the ladder goes up)"
            )
        return self

    def ladder(self, day: timedelta) -> Ladder:
        """`day`: the working time of one working day (days of the config in working time)."""
        return Ladder(
            warn_at=self.warn_at,
            repeat_first=timedelta(hours=self.repeat_first_hours),
            repeat_factor=self.repeat_factor,
            repeat_max=timedelta(hours=self.repeat_max_hours),
            supervise_after=day * self.supervise_after_days,
            leadership_after=day * self.leadership_after_days,
        )

    def digest_time(self) -> time:
        return _clock(self.digest_at)


class RasaConfig(Section):
    url: str = "http://127.0.0.1:5005"
    token: str | None = None  # Rasa's --auth-token, if the server was started with one
    timeout_seconds: float = Field(default=5.0, gt=0)
    # the Rasa model's intent names -> ours, where they differ
    intent_map: dict[str, str] = Field(default_factory=dict)


class LlmConfig(Section):
    """A model behind an OpenAI-compatible endpoint (vLLM, Ollama …); the builtin model answers
    whenever it is slow or down."""

    url: str = "http://127.0.0.1:8000/v1"
    model: str = "qwen2.5-7b-instruct"
    api_key: str | None = None  # sent as a Bearer token, if the endpoint wants one
    timeout_seconds: float = Field(default=3.0, gt=0)


class NluConfig(Section):
    backend: Literal["builtin", "rasa", "llm"] = "builtin"
    model_path: str | None = None  # default: a cache file keyed by the training data's fingerprint
    clarify_below: float = Field(default=0.5, ge=0, le=1)  # ask rather than guess below this confidence
    rasa: RasaConfig = RasaConfig()
    llm: LlmConfig = LlmConfig()


class LeadershipConfig(Section):
    """The hotline's leadership. Its officers get, each working morning, the list of tickets long
    overdue, and the weekly report privately, and may ask for `/report`; its department's officer
    group (the leadership group) gets the weekly report. With neither, the weekly report goes to
    the admins."""

    officers: tuple[str, ...] = ()
    department: str | None = None


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BulletinConfig(Section):
    """The leadership bulletin (企业诉求动态): built on its own each week (the last full week, on
    `weekday` at `time`, to the leadership) unless `schedule: off`; on demand with `xiaoer bulletin
    build`. "Long overdue" is a resolve deadline passed more than `overdue_days` calendar days ago;
    two demands share a cluster when their TF-IDF cosine reaches `cluster_threshold`."""

    schedule: Literal["weekly", "off"] = "weekly"
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    overdue_days: int = Field(default=10, ge=1)
    cluster_threshold: float = Field(default=0.4, gt=0, le=1)
    quotes: int = Field(default=5, ge=1)  # items per list in the chat message (the .docx has all)

    def rules(self) -> BulletinRules:
        return BulletinRules(
            schedule=Schedule(self.schedule),
            weekday=_WEEKDAYS.index(self.weekday),
            at=_clock(self.time),
            overdue_days=self.overdue_days,
            cluster_threshold=self.cluster_threshold,
            quotes=self.quotes,
        )


class ReportsConfig(Section):
    """Replaced by `leadership`: its keys are refused with what to write instead (they meant
    less than `leadership` does, so reading them as it would change who gets what)."""

    leadership_department: str | None = None
    leaders: tuple[str, ...] = ()


class GroupTagsConfig(Section):
    """What a member-unit group's members are; a dimension left empty means mixed."""

    industry: tuple[str, ...] = ()
    district: tuple[str, ...] = ()
    size_class: tuple[str, ...] = ()
    qualifications: tuple[str, ...] = ()


class GroupConfig(Section):
    """A member-unit group chat that receives the policy notices meant for its members."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    channel: str = "telegram"  # the name of a section under channels:
    chat_id: int | str
    lang: Literal["zh-CN", "en"] | None = None  # default: `language`
    tags: GroupTagsConfig = GroupTagsConfig()


class PoliciesConfig(Section):
    remind_days_before: int = Field(default=7, ge=0, le=90)  # deadline reminders start this many days ahead
    # Channels on which enterprises' people get notices and reminders in their private chats.
    channels: tuple[str, ...] = ("telegram",)  # names of sections under channels:
    excerpt_chars: int = Field(default=1500, ge=200, le=3500)  # how much of a policy's body a notice carries


class PrivacyConfig(Section):
    # What people wrote about a ticket is kept this many days after it closes (`xiaoer purge`
    # deletes it); None keeps it. Tickets, their audit events and the figures are kept regardless.
    retain_messages_days: int | None = Field(default=None, ge=1)


class ApiConfig(Section):
    """The HTTP API (/api/v1), outbound webhooks and the Rasa action server (README, Integrations)."""

    enabled: bool = False
    # where the runtime's web server listens when no channel's webhooks chose the address
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # the wait after a subscriber's first failure, doubling up to the longest; a subscriber that is
    # down is tried again for about a day before a delivery is recorded failed
    webhook_backoff_seconds: float = Field(default=2.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    rasa_actions_port: int = Field(default=5055, ge=0, le=65535)


class WebConsoleConfig(Section):
    """The web console (`/console` on the runtime's web server): who oversees the closed loop
    from a desk signs in with a link sent by `/web` in their private chat."""

    enabled: bool = False
    # the address people open, as their browser sees it (your reverse proxy's https://…); the
    # sign-in links point at it
    url: str | None = Field(default=None, pattern=r"^https?://[^/\s]+(/[^\s]*)?$")
    host: str = "127.0.0.1"  # where the web server listens when no channel's webhook sets it
    port: int = Field(default=8083, ge=1, le=65535)
    link_minutes: int = Field(default=10, ge=1, le=60)  # a sign-in link expires after this
    # A session ends at the close of the working day it was opened in (the working calendar);
    # one opened after the close or on a day off lasts this long (bot/domain/web_console.py)
    session_hours: float = Field(default=9, gt=0, le=24)
    # Keep on: browsers accept Secure cookies on http://127.0.0.1 and localhost too, so only a
    # plain-HTTP address other than those (never in production) needs it off.
    secure_cookies: bool = True
    refresh_seconds: int = Field(default=10, ge=2, le=600)  # how often the board asks for changes


class ChannelsConfig(Section):
    """Each channel's own section: its credentials, endpoints and switches."""

    console: bool = True
    telegram: TelegramConfig = TelegramConfig()
    wecom: WecomConfig = WecomConfig()
    dingtalk: DingtalkConfig = DingtalkConfig()


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
    logging: LoggingConfig = LoggingConfig()
    # The organisation's bootstrap: loaded into a database that has none (then the database is its
    # source: `xiaoer import`, `xiaoer export`, admins in chat).
    departments: tuple[DepartmentConfig, ...] = ()
    officers: tuple[OfficerConfig, ...] = ()
    categories: dict[str, CategoryConfig]
    demo: DemoConfig = DemoConfig()
    calendar: CalendarConfig = CalendarConfig()
    sla: SlaConfig = SlaConfig()
    reminders: RemindersConfig = RemindersConfig()
    nlu: NluConfig = NluConfig()
    channels: ChannelsConfig = ChannelsConfig()
    # Moved under channels: an old configuration (or XIAOER_TELEGRAM__* variable) is refused with
    # what to move, rather than silently ignored.
    telegram: dict[str, Any] = Field(default_factory=dict)
    leadership: LeadershipConfig = LeadershipConfig()
    bulletin: BulletinConfig = BulletinConfig()
    reports: ReportsConfig = ReportsConfig()  # replaced by leadership: refused
    groups: tuple[GroupConfig, ...] = ()
    policies: PoliciesConfig = PoliciesConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    api: ApiConfig = ApiConfig()
    web: WebConsoleConfig = WebConsoleConfig()

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

    def bootstrap_directory(self) -> Directory:
        """The organisation as this file's bootstrap section describes it (what an empty database
        is filled with); the running organisation is read from the database (bot.bootstrap)."""
        return Directory.build(
            departments=(
                Department(
                    id=d.id,
                    name_zh=d.name_zh,
                    name_en=d.name_en,
                    head_officer_id=d.head,
                    lang=d.lang or self.language,
                    chats={channel: str(chat).strip() for channel, chat in d.chats.items()},
                    topics=frozenset(d.topics),
                    aliases=tuple(a.strip() for a in d.aliases if a.strip()),
                )
                for d in self.departments
            ),
            officers=(_officer(o) for o in self.officers),
            category_leads=self.category_leads(),
            leadership_department=self.leadership.department,
            leaders=self.leaders(),
        )

    def category_leads(self) -> dict[str, str]:
        return {name: c.lead for name, c in self.categories.items()}

    def leaders(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.leadership.officers))

    def working_calendar(self) -> WorkingCalendar:
        c = self.calendar
        return build_calendar(
            timezone=self.timezone,
            periods=c.periods(),
            weekdays=frozenset(_WEEKDAYS.index(day) for day in c.weekdays),
            country=c.official_holidays,
            extra_holidays=c.extra_holidays,
            extra_workdays=c.extra_workdays,
        )

    def sla_policy(self, calendar: WorkingCalendar | None = None) -> SlaPolicy:
        return SlaPolicy(table=self.sla.table(), calendar=calendar or self.working_calendar())

    def ladder(self, calendar: WorkingCalendar) -> Ladder:
        return self.reminders.ladder(calendar.day_length)

    def channel_sections(self) -> dict[str, ChannelSection]:
        """Each channel's section under `channels:`, by the channel's name."""
        return {
            name: section
            for name in type(self.channels).model_fields
            if isinstance(section := getattr(self.channels, name), ChannelSection)
        }

    def robot_group_channels(self) -> frozenset[str]:
        """Channels whose member-unit groups are reached through a robot: no buttons there."""
        return frozenset(
            name for name, section in self.channel_sections().items() if not section.group_buttons
        )

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
    return Officer(
        id=o.id,
        name=o.name,
        department_id=o.department,
        role=Role(o.role),
        lang=o.lang,
        # the console addresses every officer as officer:<id> (storage adds it to what it reads)
        identities={
            **{channel: str(value).strip() for channel, value in o.identities.items()},
            "console": f"officer:{o.id}",
        },
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
    for channel in sorted({channel for o in settings.officers for channel in o.identities}):
        ids = [str(o.identities[channel]) for o in settings.officers if channel in o.identities]
        _unique(f"officers[].identities.{channel}", ids, problems)
    for channel in sorted({channel for d in settings.departments for channel in d.chats}):
        chats = [str(d.chats[channel]) for d in settings.departments if channel in d.chats]
        _unique(f"departments[].chats.{channel}", chats, problems)
    for name, category in settings.categories.items():
        if name not in CATEGORIES:
            problems.append(f"categories.{name}: unknown category (expected one of {', '.join(CATEGORIES)})")
        if dept_ids and category.lead not in dept_ids:
            problems.append(f"categories.{name}.lead: unknown department '{category.lead}'")
    missing = [c for c in CATEGORIES if c not in settings.categories]
    if missing:
        problems.append(f"categories: missing {', '.join(missing)} (every category needs a lead department)")
    sections = settings.channel_sections()
    for section in sections.values():  # each channel checks its own section
        problems += section.problems()
    if "system" in officer_ids:
        problems.append("officers: the id 'system' is reserved for Xiaoer itself in the audit log")
    for name in settings.sla.categories:
        if name not in CATEGORIES:
            problems.append(
                f"sla.categories.{name}: unknown category (expected one of {', '.join(CATEGORIES)})"
            )
    table = settings.sla.table()
    rows = {"general": (table.normal, table.urgent), CONSULTATION: table.kinds[CONSULTATION]}
    rows.update({f"categories.{name}": table.kinds[name] for name in settings.sla.categories})
    for kind, pair in rows.items():
        for priority, limits in zip(("normal", "urgent"), pair, strict=True):
            if limits.contact_hours < limits.sign_hours:
                problems.append(
                    f"sla.{kind}.{priority}: {limits.contact_hours} h to contact the enterprise but "
                    f"{limits.sign_hours} h to sign for the ticket: contact_hours must not be shorter"
                )
    try:
        settings.working_calendar()
    except ValueError as exc:
        problems.append(f"calendar: {exc}")
    for i, leader in enumerate(settings.leadership.officers):
        if officer_ids and leader not in officer_ids:
            problems.append(f"leadership.officers[{i}]: unknown officer '{leader}'")
    problems += _replaced_keys(settings)
    for day in sorted(set(settings.calendar.extra_holidays) & set(settings.calendar.extra_workdays)):
        problems.append(f"calendar: {day} is in both extra_holidays and extra_workdays (keep one)")
    department = settings.leadership.department
    if department is not None and dept_ids and department not in dept_ids:
        problems.append(f"leadership.department: unknown department '{department}'")
    _unique("groups", [g.id for g in settings.groups], problems)
    _unique("groups[].chat_id", [f"{g.channel}:{g.chat_id}" for g in settings.groups], problems)
    names = ", ".join(sections)
    for i, g in enumerate(settings.groups):
        group_section = sections.get(g.channel)
        if group_section is None:
            problems.append(f"groups[{i}].channel: unknown channel {g.channel!r} (expected one of {names})")
        elif (problem := group_section.member_group_problem(str(g.chat_id))) is not None:
            problems.append(f"groups[{i}].chat_id: {problem}")
    for i, name in enumerate(settings.policies.channels):
        if name not in sections:
            problems.append(f"policies.channels[{i}]: unknown channel {name!r} (expected one of {names})")
    _unique("demo.enterprises", [e.id for e in settings.demo.enterprises], problems)
    _unique("demo.enterprises[].uscc", [e.uscc for e in settings.demo.enterprises if e.uscc], problems)
    for i, e in enumerate(settings.demo.enterprises):
        if e.liaison is not None and officer_ids and e.liaison not in officer_ids:
            problems.append(f"demo.enterprises[{i}].liaison: unknown officer '{e.liaison}'")
    return problems


def _replaced_keys(settings: Settings) -> list[str]:
    """Keys that moved or were replaced, refused with what to write instead. `leadership` replaced
    three: their officers got one thing each (the overdue list, or the weekly report), and
    `leadership.officers` get both, so they are not read as it."""
    found = []
    if settings.telegram:
        found.append(
            "telegram: moved to channels.telegram (every channel has its section under channels:); "
            "move the section there, and XIAOER_TELEGRAM__* variables to XIAOER_CHANNELS__TELEGRAM__*"
        )
    found += _moved_org_keys(settings)
    if settings.reminders.leaders:
        found.append(
            "reminders.leaders: replaced by leadership.officers, who get the list of long-overdue "
            "tickets each morning and also the weekly report and /report; move the names there"
        )
    if settings.reports.leaders:
        found.append(
            "reports.leaders: replaced by leadership.officers, who get the weekly report and /report "
            "and also the list of long-overdue tickets each morning; move the names there"
        )
    if settings.reports.leadership_department is not None:
        found.append("reports.leadership_department: replaced by leadership.department; move it there")
    return found


def _moved_org_keys(settings: Settings) -> list[str]:
    """The per-channel keys of departments and officers became maps by channel name."""
    moved = [
        (f"departments[{i}].{key}", new)
        for i, d in enumerate(settings.departments)
        for key, value, new in (
            ("telegram_chat_id", d.telegram_chat_id, f"chats: {{telegram: {d.telegram_chat_id}}}"),
            ("wecom_chat_id", d.wecom_chat_id, f"chats: {{wecom: {d.wecom_chat_id}}}"),
            ("telegram_topics", d.telegram_topics, "topics: [telegram]"),
        )
        if value is not None
    ] + [
        (f"officers[{i}].{key}", new)
        for i, o in enumerate(settings.officers)
        for key, value, new in (
            ("telegram_id", o.telegram_id, f"identities: {{telegram: {o.telegram_id}}}"),
            ("wecom_user_id", o.wecom_user_id, f"identities: {{wecom: {o.wecom_user_id}}}"),
        )
        if value is not None
    ]
    return [f"{where}: replaced by a map by channel name: write {new} instead" for where, new in moved]


def config_warnings(settings: Settings) -> list[str]:
    """What is allowed but most likely not meant, each with its key path and what to do."""
    warnings = [
        warning
        for name, section in settings.channel_sections().items()
        for warning in section.member_group_warnings(
            {str(g.chat_id) for g in settings.groups if g.channel == name}
        )
    ]
    wecom = settings.channels.wecom
    if wecom.in_use and wecom.bind_by_mobile and settings.web.url is None:
        warnings.append(
            "channels.wecom.bind_by_mobile: web.url is not set, so members whose mobile WeCom's "
            "directory does not give this app (apps created after 2022-06-20) get no consent link, "
            "only codes: set web.url to the public https:// address of this server (a trusted domain "
            f"of the app, forwarding {wecom.mobile_path}), or bind_by_mobile: false to say it is meant"
        )
    return warnings


def _unique(what: str, values: list[Any], problems: list[str]) -> set[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            problems.append(f"{what}: '{value}' appears more than once")
        seen.add(value)
    return seen

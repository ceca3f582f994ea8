"""Who works the hotline: departments, officers, and the category each department leads."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from bot.domain.messages import Role


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name_zh: str
    name_en: str
    head_officer_id: str | None = None
    lang: str = "zh-CN"  # the language its officer group reads
    # The group chat of its officers on each channel that has one ({"telegram": "-100…"}); each
    # channel reads its own entry. Channels in `topics` make a forum topic per ticket there.
    chats: Mapping[str, str] = field(default_factory=dict)
    topics: frozenset[str] = frozenset()
    # Other names officers write it by (市监局, 人社局): commands that name a department accept them
    aliases: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en

    @property
    def has_officer_group(self) -> bool:
        """A group chat of its officers on some channel: new tickets are posted there, those that
        went to a liaison officer too. Without one, only what is for anyone of the department goes
        out (to each officer privately), so a liaison's tickets do not reach all their colleagues."""
        return bool(self.chats)

    def chat(self, channel: str) -> str | None:
        return self.chats.get(channel)


@dataclass(frozen=True, slots=True)
class Officer:
    id: str
    name: str
    department_id: str
    role: Role
    lang: str = "zh-CN"
    # chat identities by channel name, e.g. {"telegram": "123456", "console": "officer:wang"}
    identities: Mapping[str, str] = field(default_factory=dict)
    active: bool = True  # a deactivated officer is kept (the audit log names them) but not in the Directory


@dataclass(slots=True)
class Directory:
    """The organisation as the database holds it. Lookups only; when the organisation changes
    (an import, an admin in chat, another process) the one instance everybody holds adopts the new
    contents (`adopt`), so nothing holding it needs to be rebuilt."""

    departments: Mapping[str, Department]
    officers: Mapping[str, Officer]
    category_leads: Mapping[str, str]  # category -> department id
    # Who the weekly report goes to: a department's officer group, and officers privately.
    leadership_department: str | None = None
    leaders: tuple[str, ...] = ()
    version: int = 0  # the organisation's change counter it was read at (storage's org_changes)

    @classmethod
    def build(
        cls,
        departments: Iterable[Department],
        officers: Iterable[Officer],
        category_leads: Mapping[str, str],
        *,
        leadership_department: str | None = None,
        leaders: Iterable[str] = (),
        version: int = 0,
    ) -> Directory:
        return cls(
            departments={d.id: d for d in departments},
            officers={o.id: o for o in officers},
            category_leads=dict(category_leads),
            leadership_department=leadership_department,
            leaders=tuple(leaders),
            version=version,
        )

    def adopt(self, newer: Directory) -> None:
        """Take on `newer`'s contents in place (one step, between two awaits)."""
        self.departments = newer.departments
        self.officers = newer.officers
        self.category_leads = newer.category_leads
        self.leadership_department = newer.leadership_department
        self.leaders = newer.leaders
        self.version = newer.version

    def reachable(self, department_id: str, channels: Collection[str]) -> bool:
        """Someone of the department can be told on one of `channels`: its group chat there, or
        an officer with an identity there."""
        department = self.departments.get(department_id)
        if department is None:
            return False
        if any(channel in department.chats for channel in channels):
            return True
        return any(channel in o.identities for o in self.members(department_id) for channel in channels)

    def officer_reachable(self, officer_id: str, channels: Collection[str]) -> bool:
        officer = self.officers.get(officer_id)
        return officer is not None and any(channel in officer.identities for channel in channels)

    def unreachable_departments(self, channels: Collection[str]) -> list[Department]:
        return [d for d in self.departments.values() if not self.reachable(d.id, channels)]

    def department_chats(self, channel: str) -> dict[str, str]:
        """Department id -> its officer group chat on `channel`, for the departments that have one."""
        return {d.id: d.chats[channel] for d in self.departments.values() if channel in d.chats}

    def topic_chats(self, channel: str) -> set[str]:
        """The officer group chats on `channel` that make a topic per ticket."""
        return {
            d.chats[channel] for d in self.departments.values() if channel in d.chats and channel in d.topics
        }

    def dispatchers(self) -> list[Officer]:
        return [o for o in self.officers.values() if o.role is Role.DISPATCHER]

    def officer_by_identity(self, channel: str, user_id: str) -> Officer | None:
        for officer in self.officers.values():
            if officer.identities.get(channel) == user_id:
                return officer
        return None

    def lead_department(self, category: str | None) -> str:
        """The department that leads a category; unknown categories fall back to `other`."""
        if category is not None and category in self.category_leads:
            return self.category_leads[category]
        return self.category_leads["other"]

    def group_lang(self, department_id: str) -> str:
        """The language a department's officer group reads."""
        department = self.departments.get(department_id)
        return department.lang if department is not None else "zh-CN"

    def members(self, department_id: str) -> list[Officer]:
        return [o for o in self.officers.values() if o.department_id == department_id]


@dataclass(frozen=True, slots=True)
class OrgChange:
    """One change to the organisation, for its audit log: who made it, to what (`kind`, `key`),
    and the fields that changed, as they were and as they became (None: added, or removed)."""

    actor: str
    kind: str  # department | officer | enterprise | contact | group
    key: str
    action: str  # add | change | deactivate
    before: Mapping[str, object] | None
    after: Mapping[str, object] | None


@dataclass(frozen=True, slots=True)
class ChatMove:
    """What moving a chat to its new id changed (a Telegram group upgraded to a supergroup): the
    departments and member-unit groups that name it, the tickets opened in it, the messages still
    to send there, and the sent posts and forum topics replies are matched with. `merged`: groups
    dropped because another group already had the new id; `cancelled`: queued notices the new id
    already has."""

    departments: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    tickets: int = 0
    outbox: int = 0
    cancelled: int = 0
    sent: int = 0
    topics: int = 0

    @property
    def known(self) -> bool:
        """The chat was known beyond messages on their way (a first move, to be audited)."""
        kept = (self.departments, self.groups, self.merged, self.tickets, self.sent, self.topics)
        return any(kept)


def difference(
    before: Mapping[str, object], after: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """Only the fields that differ, each side's value."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}

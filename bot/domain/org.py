"""Who works the hotline: departments, officers, and the category each department leads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.domain.messages import Role


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name_zh: str
    name_en: str
    head_officer_id: str | None = None
    lang: str = "zh-CN"  # the language its officer group reads
    # It has a group chat of its officers on some channel: new tickets are posted there, those that
    # went to a liaison officer too. Without one, only what is for anyone of the department goes out
    # (to each officer privately), so a liaison's tickets do not reach all their colleagues.
    has_officer_group: bool = False

    def name(self, lang: str) -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en


@dataclass(frozen=True, slots=True)
class Officer:
    id: str
    name: str
    department_id: str
    role: Role
    lang: str = "zh-CN"
    # chat identities by channel name, e.g. {"telegram": "123456", "console": "officer:wang"}
    identities: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Directory:
    """The organisation as configured. Lookups only; the config file is its source of truth."""

    departments: Mapping[str, Department]
    officers: Mapping[str, Officer]
    category_leads: Mapping[str, str]  # category -> department id
    # Who the weekly report goes to: a department's officer group, and officers privately.
    leadership_department: str | None = None
    leaders: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        departments: Iterable[Department],
        officers: Iterable[Officer],
        category_leads: Mapping[str, str],
        *,
        leadership_department: str | None = None,
        leaders: Iterable[str] = (),
    ) -> Directory:
        return cls(
            departments={d.id: d for d in departments},
            officers={o.id: o for o in officers},
            category_leads=dict(category_leads),
            leadership_department=leadership_department,
            leaders=tuple(leaders),
        )

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

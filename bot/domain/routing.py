"""Where a new demand goes first."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.enterprise import Enterprise
from bot.domain.org import Directory


@dataclass(frozen=True, slots=True)
class Routing:
    department_id: str
    assignee_id: str | None
    via_liaison: bool


def route_demand(enterprise: Enterprise | None, category: str | None, directory: Directory) -> Routing:
    """The enterprise's liaison officer if it has one, else the category's lead department's queue.

    A liaison officer who is no longer in the directory is ignored rather than trusted: the demand
    must land with someone who can see it.
    """
    if enterprise is not None and enterprise.liaison_officer_id is not None:
        liaison = directory.officers.get(enterprise.liaison_officer_id)
        if liaison is not None:
            return Routing(department_id=liaison.department_id, assignee_id=liaison.id, via_liaison=True)
    return Routing(department_id=directory.lead_department(category), assignee_id=None, via_liaison=False)

from __future__ import annotations

from bot.config import Settings
from bot.domain.routing import route_demand
from tests import builders


def test_liaison_officer_comes_first(settings: Settings) -> None:
    routing = route_demand(
        builders.enterprise(liaison_officer_id="wang_lei"), "finance", settings.bootstrap_directory()
    )
    assert (routing.department_id, routing.assignee_id, routing.via_liaison) == (
        "industry_it",
        "wang_lei",
        True,
    )


def test_without_liaison_the_category_lead_department_queues_it(settings: Settings) -> None:
    routing = route_demand(builders.enterprise(), "tax", settings.bootstrap_directory())
    assert (routing.department_id, routing.assignee_id) == ("tax_bureau", None)


def test_unknown_liaison_and_unknown_category_fall_back(settings: Settings) -> None:
    routing = route_demand(
        builders.enterprise(liaison_officer_id="gone"), "no_such", settings.bootstrap_directory()
    )
    assert (routing.department_id, routing.assignee_id) == ("service_center", None)


def test_unverified_sender_goes_by_category(settings: Settings) -> None:
    assert (
        route_demand(None, "land_space", settings.bootstrap_directory()).department_id == "natural_resources"
    )

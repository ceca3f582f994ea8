"""/api/v1/enterprises and /api/v1/policies: read them; publish a policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

from bot.api.bodies import json_object, key_field, path_number, text_field
from bot.api.errors import invalid, not_found
from bot.api.guard import KEY
from bot.domain.categories import CATEGORIES
from bot.domain.enterprise import Enterprise
from bot.domain.policies import DIMENSIONS, Policy, PolicyStatus, Tags
from bot.domain.text import storable
from handlers.deps import Deps
from handlers.policy_publish import add_policy, publish


def enterprise_json(enterprise: Enterprise) -> dict[str, Any]:
    return {
        "id": enterprise.id,
        "name": enterprise.name,
        "uscc": enterprise.uscc,
        "industry": enterprise.industry,
        "district": enterprise.district,
        "size_class": enterprise.size_class,
        "liaison_officer_id": enterprise.liaison_officer_id,
    }


def policy_json(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "title": policy.title,
        "body": policy.body,
        "department_id": policy.department_id,
        "category": policy.category,
        "status": policy.status.value,
        "deadline": policy.deadline.isoformat() if policy.deadline else None,
        "eligibility": {d: sorted(getattr(policy.eligibility, d)) for d in DIMENSIONS},
        "published_at": policy.published_at.isoformat() if policy.published_at else None,
    }


@dataclass
class RegistryRoutes:
    deps: Deps

    async def enterprises(self, request: web.Request) -> web.Response:
        async with self.deps.storage() as uow:
            found = await uow.enterprises.all()
        return web.json_response({"enterprises": [enterprise_json(e) for e in found]})

    async def enterprise(self, request: web.Request) -> web.Response:
        enterprise_id = request.match_info["enterprise_id"]
        async with self.deps.storage() as uow:
            enterprise = await uow.enterprises.get(enterprise_id)
        if enterprise is None:
            raise not_found(
                f"There is no enterprise {enterprise_id}; list them with GET /api/v1/enterprises."
            )
        return web.json_response(enterprise_json(enterprise))

    async def policies(self, request: web.Request) -> web.Response:
        status = request.query.get("status")
        if status is not None and status not in PolicyStatus.__members__.values():
            raise invalid(f"`status` must be one of: {', '.join(s.value for s in PolicyStatus)}.")
        async with self.deps.storage() as uow:
            found = await uow.policies.listing(PolicyStatus(status) if status else None)
        return web.json_response({"policies": [policy_json(p) for p in found]})

    async def policy(self, request: web.Request) -> web.Response:
        policy_id = path_number(request, "policy_id")
        async with self.deps.storage() as uow:
            policy = await uow.policies.get(policy_id)
        if policy is None:
            raise not_found(f"There is no policy P{policy_id}; list them with GET /api/v1/policies.")
        return web.json_response(policy_json(policy))

    async def publish(self, request: web.Request) -> web.Response:
        """A new policy, published at once to the groups and enterprises it is meant for."""
        body = await json_object(request)
        title = text_field(body, "title", limit=200) or ""
        text = text_field(body, "body", limit=20000) or ""
        department = key_field(body, "department_id") or ""
        if department not in self.deps.directory.departments:
            raise invalid(
                f"`department_id` {department!r} is not a department; one of: "
                f"{', '.join(self.deps.directory.departments)}."
            )
        category = key_field(body, "category", required=False) or "subsidy"
        if category not in CATEGORIES:
            raise invalid(f"`category` must be one of: {', '.join(CATEGORIES)}.")
        # today on the office clock: from midnight to 08:00 in Xiamen it is still yesterday in UTC
        deadline = _deadline(body.get("deadline"), self.deps.clock().astimezone(self.deps.timezone).date())
        eligibility = _eligibility(body.get("eligibility"))
        draft = Policy(
            id=None,
            title=title,
            body=text,
            department_id=department,
            created_by=f"api:{request[KEY].name}",
            created_at=self.deps.clock(),
            category=category,
            eligibility=eligibility,
            deadline=deadline,
        )
        stored = await add_policy(self.deps, draft)
        published = await publish(self.deps, stored.id or 0, via=None)
        return web.json_response({**policy_json(published.policy), "notices": published.queued}, status=201)


def _deadline(value: object, today: date) -> date | None:
    if value is None:
        return None
    try:
        deadline = date.fromisoformat(str(value))
    except ValueError:
        raise invalid("`deadline` must be a date, e.g. 2026-12-31.") from None
    if deadline < today:
        raise invalid(f"`deadline` {deadline.isoformat()} has passed; give today's date or a later one.")
    return deadline


def _eligibility(value: object) -> Tags:
    if value is None:
        return Tags()
    if not isinstance(value, dict) or any(k not in DIMENSIONS for k in value):
        raise invalid(f"`eligibility` must be an object with some of: {', '.join(DIMENSIONS)}.")
    if not all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in value.values()):
        raise invalid('`eligibility` values must be lists of strings, e.g. {"size_class": ["规上"]}.')
    return Tags.of({dimension: [storable(tag) for tag in tags] for dimension, tags in value.items()})

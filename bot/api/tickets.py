"""/api/v1/tickets: list, read with events, open a demand on an enterprise's behalf, add an event,
close as resolved elsewhere, transfer to an external platform."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from aiohttp import web

from bot.api.bodies import (
    bool_field,
    choice,
    json_object,
    key_field,
    path_number,
    query_int,
    query_time,
    text_field,
)
from bot.api.errors import bad_input, invalid, not_found
from bot.api.guard import KEY
from bot.domain.categories import CATEGORIES
from bot.domain.messages import Actor, Reply
from bot.domain.tickets import Status
from bot.domain.webhooks import event_snapshot, ticket_snapshot
from handlers import integrations
from handlers.deps import Deps
from handlers.outgoing import Outgoing
from storage.api_protocols import TicketFilter

PAGE = 50
EVENT_KINDS = ("reply", "external_status", "note")


@dataclass
class TicketRoutes:
    deps: Deps
    outgoing: Outgoing
    channels: Collection[str]  # the chat channels that run: where an enterprise can hear of its demand

    def actor(self, request: web.Request) -> Actor:
        return integrations.api_actor(request[KEY].name, self.deps.default_lang)

    async def listing(self, request: web.Request) -> web.Response:
        state = request.query.get("state")
        if state is not None and state not in Status.__members__.values():
            raise bad_input(f"`state` must be one of: {', '.join(s.value for s in Status)}.")
        where = TicketFilter(
            status=Status(state) if state else None,
            department_id=request.query.get("department"),
            category=request.query.get("category"),
            enterprise_id=request.query.get("enterprise"),
            updated_since=query_time(request, "updated_since"),
            after=query_int(request, "cursor", 0, low=0, high=2**31),
        )
        limit = query_int(request, "limit", PAGE, low=1, high=200)
        async with self.deps.storage() as uow:
            tickets = await uow.webhooks.tickets(where, limit + 1)
        page, more = tickets[:limit], len(tickets) > limit
        return web.json_response(
            {
                "tickets": [ticket_snapshot(t) for t in page],
                "next_cursor": page[-1].number if more and page else None,
            }
        )

    async def read(self, request: web.Request) -> web.Response:
        number = path_number(request, "number")
        async with self.deps.storage() as uow:
            ticket = await uow.tickets.get(number)
            events = await uow.events.for_ticket(number) if ticket else []
        if ticket is None:
            raise not_found(f"There is no ticket #{number}; list them with GET /api/v1/tickets.")
        return web.json_response({**ticket_snapshot(ticket), "events": [event_snapshot(e) for e in events]})

    async def create(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        enterprise_id = key_field(body, "enterprise_id") or ""
        text = text_field(body, "text") or ""
        category = key_field(body, "category", required=False)
        if category is not None and category not in CATEGORIES:
            raise invalid(f"`category` must be one of: {', '.join(CATEGORIES)} (or leave it out).")
        urgent = bool_field(body, "urgent")
        contact = await integrations.enterprise_contact(self.deps, enterprise_id, self.channels)
        parse = integrations.as_demand(await self.deps.nlu.parse(text), category, urgent)
        opened: list[int] = []

        async def work() -> Sequence[Reply]:
            number, replies, _ = await integrations.open_for_enterprise(self.deps, contact, text, parse)
            opened.append(number)
            return replies

        await self.outgoing.run(work, integrations.contact_origin(contact))
        async with self.deps.storage() as uow:
            ticket = await uow.tickets.get(opened[0])
        assert ticket is not None
        return web.json_response(ticket_snapshot(ticket), status=201)

    async def add_event(self, request: web.Request) -> web.Response:
        number = path_number(request, "number")
        body = await json_object(request)
        kind = choice(body, "type", EVENT_KINDS)
        text = text_field(body, "text") or ""
        actor = self.actor(request)
        await self.outgoing.run(lambda: integrations.add_event(actor, self.deps, number, kind, text))
        return await self._current(number, 201)

    async def close(self, request: web.Request) -> web.Response:
        number = path_number(request, "number")
        body = await json_object(request)
        result = text_field(body, "result") or ""
        actor = self.actor(request)
        await self.outgoing.run(
            lambda: integrations.close_resolved_elsewhere(actor, self.deps, number, result)
        )
        return await self._current(number, 200)

    async def transfer(self, request: web.Request) -> web.Response:
        number = path_number(request, "number")
        body = await json_object(request)
        platform = key_field(body, "platform") or ""
        reason = text_field(body, "reason") or ""
        actor = self.actor(request)
        await self.outgoing.run(
            lambda: integrations.transfer_to_platform(actor, self.deps, number, platform, reason)
        )
        return await self._current(number, 200)

    async def _current(self, number: int, status: int) -> web.Response:
        async with self.deps.storage() as uow:
            ticket = await uow.tickets.get(number)
        if ticket is None:
            raise not_found(f"There is no ticket #{number}.")
        return web.json_response(ticket_snapshot(ticket), status=status)

"""A small world for handler tests: the shipped directory, a fresh SQLite database, a fake NLU.

Test modules that make worlds use the `fresh_databases` fixture (tests/databases.py), which
disposes of each world's database when the test ends."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.domain.messages import Inbound, Reply, Sender, ToSender
from bot.domain.tickets import Action, Status
from bot.seed import seed
from handlers.deps import Deps
from handlers.dispatch import handle
from storage.sql import SqlStorage
from tests.conftest import Clock
from tests.databases import fresh_storage
from tests.fakes import FakeNlu, Understood

DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"
XINYUAN = Sender("console", "enterprise:xinyuan", "陈总")  # liaison: wang_lei
HAIYUE = Sender("console", "enterprise:haiyue", "林经理")  # no liaison
WANG = Sender("console", "officer:wang_lei")
WU = Sender("console", "officer:wu_bin")

UNDERSTOOD = {
    DEMAND: Understood("report_demand", "finance"),
    "出口退税一直没到账，资金很紧张，希望帮忙协调": Understood("report_demand", "tax"),
    "厂房租金太高，需要协调新的用地": Understood("report_demand", "land_space"),
    "你好": Understood("greeting"),
    "今天天气不错": Understood("out_of_scope"),
    "We urgently need help with a power outage at our factory": Understood("report_demand", "utilities"),
    "我们急需招聘50名技术工人": Understood("report_demand", "talent"),
}


@dataclass
class World:
    deps: Deps
    storage: SqlStorage
    nlu: FakeNlu

    async def say(self, sender: Sender, text: str, payload: str | None = None) -> list[Reply]:
        inbound = Inbound(sender, sender.user_id, text, self.deps.clock(), payload=payload)
        return await handle(inbound, self.deps)

    async def events(self, number: int) -> list[Action]:
        async with self.storage() as uow:
            return [e.action for e in await uow.events.for_ticket(number)]

    async def status(self, number: int) -> Status:
        async with self.storage() as uow:
            ticket = await uow.tickets.get(number)
        assert ticket is not None
        return ticket.status


async def make_world(settings: Settings, clock: Clock) -> World:
    storage = fresh_storage()
    await seed(storage, settings)
    nlu = FakeNlu(dict(UNDERSTOOD))
    sla = settings.sla_policy()
    deps = Deps(
        storage=storage,
        directory=settings.bootstrap_directory(),
        nlu=nlu,
        clock=clock,
        sla=sla,
        ladder=settings.ladder(sla.calendar),
        robot_group_channels=settings.robot_group_channels(),
    )
    return World(deps, storage, nlu)


def own(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies if isinstance(r.to, ToSender))

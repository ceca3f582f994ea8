"""What the outbox sender's claim faces during an intake flood: how many messages are pending when
it runs, how many it takes, and how its time grows with what is pending.

    python -m benchmarks.claim_backlog [--updates 300] [--rounds 3]

Runs benchmarks/telegram_intake.py's full pipeline (the fake Bot API in a child process, every
department with an officer group) and wraps storage's claim to count the pending messages (in the
claim's transaction, just before it) and to time the claim itself. The count is an extra read in
every claim's transaction, so the updates/s printed here run a little slower than telegram_intake's
and are not to be compared with them. A chat gets one message at a
time, so the posts to a busy department's group wait behind each other: those rows stay pending,
and the question was whether each claim walks past them (stop 38 found it does not: its cost did
not grow with the backlog, benchmarks/RESULTS.md). Printed per round: the
claims, the messages each took, the pending messages they faced (median, p90, max), and the
claim's median time when fewer than 50 were pending against when 200 or more were (their ratio:
how the claim's cost grows with the backlog, measured side by side in one run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from benchmarks.telegram_intake import run_full
from storage import fast_statements as fast
from storage import outbox_states as states
from storage.policies_sql import OUTBOX, SqlOutbox

# the state named as the outbox's partial indexes name it, so the count reads ix_outbox_queue
_PENDING = fast.FastStatement(select(func.count()).where(states.pending(OUTBOX.c.status)))
SMALL, LARGE = 50, 200  # the backlogs compared: fewer than SMALL pending, LARGE or more


@dataclass(frozen=True)
class Claim:
    pending: int  # messages pending when it ran
    taken: int
    seconds: float


@contextlib.contextmanager
def watching_claims() -> Iterator[list[Claim]]:
    """Every claim made meanwhile, in order (storage's claim wrapped, and restored after)."""
    claims: list[Claim] = []
    claim = SqlOutbox.claim

    async def watched(self: SqlOutbox, *args: Any, **kwargs: Any) -> Any:
        (row,) = await fast.rows(self._s, _PENDING, {})
        started = time.perf_counter()
        taken = await claim(self, *args, **kwargs)
        claims.append(Claim(int(row[0]), len(taken), time.perf_counter() - started))
        return taken

    SqlOutbox.claim = watched  # type: ignore[method-assign]
    try:
        yield claims
    finally:
        SqlOutbox.claim = claim  # type: ignore[method-assign]


def summary(claims: list[Claim]) -> str:
    made = [c for c in claims if c.taken]
    pending = sorted(c.pending for c in made)
    if not pending:
        return "no claim took a message"
    small = [c.seconds for c in made if c.pending < SMALL]
    large = [c.seconds for c in made if c.pending >= LARGE]
    text = (
        f"claims {len(made)}, messages a claim {statistics.mean(c.taken for c in made):.1f}; pending at a "
        f"claim: median {statistics.median(pending):.0f}, p90 {pending[int(0.9 * (len(pending) - 1))]}, "
        f"max {pending[-1]}"
    )
    if small and large:
        ratio = statistics.median(large) / statistics.median(small)
        text += (
            f"; claim's median time: {statistics.median(small) * 1e6:.0f} us with <{SMALL} pending "
            f"({len(small)} claims), {statistics.median(large) * 1e6:.0f} us with >={LARGE} "
            f"({len(large)} claims), ratio {ratio:.1f}"
        )
    return text


async def main(count: int, rounds: int) -> None:
    print(f"fake Bot API in a child process; {count} updates a round, {rounds} rounds")
    for number in range(1, rounds + 1):
        with watching_claims() as claims:
            seconds, _ = await run_full(count, in_process=False, counted=False)
        print(f"round {number}: {count / seconds:.0f} updates/s; {summary(claims)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.updates, arguments.rounds))

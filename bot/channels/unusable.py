"""A channel that cannot start: its credentials refused, its platform unreachable. The message is
one line saying what to fix; `xiaoer run` prints it and exits with status 2."""

from __future__ import annotations

CHECK_SECONDS = 10.0  # how long a start-up check waits for the platform to answer


class ChannelUnusable(Exception):
    pass

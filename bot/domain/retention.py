"""How long what has expired is kept before it is forgotten."""

from __future__ import annotations

from datetime import timedelta

# An expired link or session is kept a day, so that someone who follows an old link that day is
# told it expired (not that it is unknown); after that its hash is deleted.
EXPIRED_KEPT = timedelta(days=1)

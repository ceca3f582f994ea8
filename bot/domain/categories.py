"""The demand taxonomy every part of Xiaoer shares (labels are fixed by the NLU issue)."""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "finance",
    "talent",
    "land_space",
    "utilities",
    "approval",
    "tax",
    "subsidy",
    "trade",
    "transport",
    "living",
    "legal",
    "innovation",
    "other",
)

INTENTS: tuple[str, ...] = (
    "report_demand",
    "policy_inquiry",
    "query_status",
    "urge",
    "feedback",
    "cancel",
    "greeting",
    "human",
    "out_of_scope",
)

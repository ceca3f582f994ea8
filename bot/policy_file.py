"""A policy written as a Markdown file with YAML front matter, for `xiaoer policy publish FILE.md`:

    ---
    title: 2026年湖里区专精特新企业奖励
    department: industry_it          # the issuing department (config `departments[].id`)
    category: subsidy                # optional; one of the demand categories (default subsidy)
    deadline: 2026-12-31             # optional: the last day to apply
    effective_from: 2026-11-01       # optional
    effective_until: 2027-10-31      # optional
    eligibility:                     # optional; a dimension left out means anyone
      industry: [manufacturing, software]
      district: [湖里区]
      size_class: [规上]
      qualifications: [专精特新, high_tech]
    links: [https://example.gov.cn/policy/1]
    how_to_apply: 点击“我要申报”，或携带材料到区工信局窗口办理。
    ---
    The policy's text in Markdown.

Every problem is reported with what to write instead, all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.domain.categories import CATEGORIES
from bot.domain.org import Directory
from bot.domain.policies import DIMENSIONS, Policy, Tags

KEYS = (
    "title",
    "department",
    "category",
    "deadline",
    "effective_from",
    "effective_until",
    "eligibility",
    "links",
    "how_to_apply",
)
TITLE_LIMIT = 300


@dataclass
class PolicyFileError(Exception):
    path: str
    problems: list[str]

    def __str__(self) -> str:
        return f"{self.path}: " + "; ".join(self.problems)


def read_policy(path: Path, directory: Directory, today: date, now: datetime) -> Policy:
    """The policy in the file, not yet stored, or PolicyFileError listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyFileError(str(path), ["file not found: check the path"]) from None
    except UnicodeDecodeError as exc:
        raise PolicyFileError(str(path), [f"byte {exc.start} is not UTF-8: save the file as UTF-8"]) from None
    except OSError as exc:
        raise PolicyFileError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    meta, body = _split(text.lstrip("\ufeff"), str(path))
    problems: list[str] = []
    for key in meta:
        if key not in KEYS:
            problems.append(f"front matter: unknown key {key!r} (known keys: {', '.join(KEYS)})")
    title = _text(meta, "title", problems, required=True)[:TITLE_LIMIT]
    department = _text(meta, "department", problems, required=True)
    if department and department not in directory.departments:
        problems.append(
            f"department: unknown department {department!r} (one of: {', '.join(directory.departments)})"
        )
    category = _text(meta, "category", problems) or "subsidy"
    if category not in CATEGORIES:
        problems.append(f"category: unknown category {category!r} (one of: {', '.join(CATEGORIES)})")
    deadline = _date(meta, "deadline", problems)
    effective_from = _date(meta, "effective_from", problems)
    effective_until = _date(meta, "effective_until", problems)
    if deadline is not None and deadline < today:
        problems.append(f"deadline: {deadline.isoformat()} has passed (write today's date or a later one)")
    if effective_from and effective_until and effective_until < effective_from:
        problems.append("effective_until: it is before effective_from (swap them, or fix one)")
    eligibility = _eligibility(meta.get("eligibility"), problems)
    links = _links(meta.get("links"), problems)
    how_to_apply = _text(meta, "how_to_apply", problems)
    if not body.strip():
        problems.append("text: the policy's text after the closing '---' is empty (write the policy there)")
    if problems:
        raise PolicyFileError(str(path), problems)
    return Policy(
        id=None,
        title=title,
        body=body.strip(),
        department_id=department,
        created_by="cli",
        created_at=now,
        category=category,
        eligibility=eligibility,
        effective_from=effective_from,
        effective_until=effective_until,
        deadline=deadline,
        links=links,
        how_to_apply=how_to_apply,
    )


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a date-shaped value that is no date (2026-13-01) stays
    text, for _date to report with the key it belongs to instead of crashing the whole load."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _split(text: str, path: str) -> tuple[dict[str, Any], str]:
    lines = text.splitlines()
    closing = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
    if not lines or lines[0].strip() != "---" or closing is None:
        raise PolicyFileError(
            path,
            [
                "front matter: the file must start with a line '---', then the metadata (title, "
                "department, ...) in YAML, then a line '---', then the policy's text"
            ],
        )
    try:
        meta = yaml.load("\n".join(lines[1:closing]), Loader=_FrontMatterLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}: " if mark is not None else ""
        raise PolicyFileError(
            path, [f"front matter: {where}not valid YAML ({getattr(exc, 'problem', None) or exc})"]
        ) from None
    if not isinstance(meta, dict):
        raise PolicyFileError(
            path, ["front matter: write it as `key: value` lines (title: ..., department: ...)"]
        )
    return {str(k): v for k, v in meta.items()}, "\n".join(lines[closing + 1 :])


def _text(meta: dict[str, Any], key: str, problems: list[str], *, required: bool = False) -> str:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{key}: missing (add a line `{key}: ...` to the front matter)")
        return ""
    if not isinstance(value, str | int | float):
        problems.append(f"{key}: expected text, got {type(value).__name__} (write it on one line)")
        return ""
    return str(value).strip()


def _date(meta: dict[str, Any], key: str, problems: list[str]) -> date | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(f"{key}: {value!r} is not a date (write it as YYYY-MM-DD, e.g. 2026-12-31)")
    return None


def _eligibility(value: Any, problems: list[str]) -> Tags:
    if value is None:
        return Tags()
    if not isinstance(value, dict):
        problems.append(
            "eligibility: expected dimensions with their values, e.g. `eligibility: {size_class: [规上]}` "
            f"(dimensions: {', '.join(DIMENSIONS)})"
        )
        return Tags()
    found: dict[str, list[str]] = {}
    for dimension, values in value.items():
        if dimension not in DIMENSIONS:
            problems.append(f"eligibility.{dimension}: unknown dimension (one of: {', '.join(DIMENSIONS)})")
            continue
        items = [values] if isinstance(values, str | int) else values
        if not isinstance(items, list) or not all(isinstance(v, str | int) and str(v).strip() for v in items):
            problems.append(
                f"eligibility.{dimension}: expected a value or a list of values, e.g. [规上, 小微]"
            )
            continue
        found[dimension] = [str(v) for v in items]
    return Tags.of(found)


def _links(value: Any, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        problems.append("links: expected a list of web addresses, e.g. [https://example.gov.cn/p/1]")
        return ()
    bad = [v for v in items if not v.startswith(("http://", "https://"))]
    if bad:
        problems.append(f"links: {bad[0]!r} is not a web address (start it with https://)")
    return tuple(v.strip() for v in items)

"""The bulletin's words: (heading, lines) sections in the reader's language, from its content,
which every format writes (Markdown here, .docx and PDF beside it). A company the content does
not name (a confidential ticket) is "某企业" / "an enterprise"."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import markdown
from bot.domain.bulletin import Blocking, BulletinContent
from bot.i18n import t
from handlers import render

Section = tuple[str, list[str]]


def company(name: str | None, lang: str) -> str:
    return name if name is not None else t(lang, "dynamics.some_enterprise")


def title(content: BulletinContent, lang: str) -> str:
    last = content.until - timedelta(days=1)
    return t(lang, "dynamics.title", since=content.since.isoformat(), until=last.isoformat())


def _limited(lines: list[str], limit: int | None, lang: str) -> list[str]:
    if limit is None or len(lines) <= limit:
        return lines
    return [*lines[:limit], t(lang, "dynamics.more", count=len(lines) - limit)]


def _quote(number: int | None, name: str | None, text: str, lang: str) -> str:
    ref = f"#{number} " if number is not None else ""
    return t(lang, "dynamics.quote", ref=ref, company=company(name, lang), text=render.excerpt(text, 120))


def sections(content: BulletinContent, lang: str, limit: int | None = None) -> list[Section]:
    """`limit`: items per list (None: all, as the files have them; the chat message, a few)."""
    states = {"open": 0, "answered": 0, "closed": 0}
    for line in content.categories:
        states["open"] += line.open
        states["answered"] += line.answered
        states["closed"] += line.closed
    overview = [
        t(lang, "dynamics.overview", count=content.demands, enterprises=content.enterprises, **states),
        t(
            lang,
            "dynamics.overview_more",
            resolved=len(content.resolved),
            blocking=len({b.number for b in content.blocking}),
            notes=len(content.notes),
        ),
    ]
    by_category = [
        t(
            lang,
            "dynamics.category_line",
            category=render.category_name(c.category, lang),
            count=c.count,
            open=c.open,
            answered=c.answered,
            closed=c.closed,
        )
        for c in content.categories
    ] or [t(lang, "dynamics.none")]
    clustered = [
        t(
            lang,
            "dynamics.cluster_line",
            terms=" / ".join(c.terms),
            count=len(c.members),
            enterprises=c.enterprises,
            refs=", ".join(f"#{n}" for n in c.members),
            quote=_quote(c.quote.number, c.quote.company, c.quote.text, lang),
        )
        for c in content.clusters
    ] or [t(lang, "dynamics.no_clusters")]
    quoted = [_quote(q.number, q.company, q.text, lang) for q in content.quotes] or [t(lang, "dynamics.none")]
    resolved = [
        t(
            lang,
            "dynamics.resolved_line",
            ref=f"#{r.number}",
            company=company(r.company, lang),
            category=render.category_name(r.category, lang),
            outcome=t(lang, f"dynamics.outcome_{r.outcome or 'resolved'}"),
            how=render.excerpt(r.how, 120) or "—",
        )
        for r in content.resolved
    ] or [t(lang, "dynamics.none")]
    result: list[Section] = [
        (t(lang, "dynamics.overview_heading"), overview),
        (t(lang, "dynamics.categories_heading"), _limited(by_category, None, lang)),
        (t(lang, "dynamics.clusters_heading"), _limited(clustered, limit, lang)),
        (t(lang, "dynamics.quotes_heading"), _limited(quoted, limit, lang)),
        (t(lang, "dynamics.resolved_heading"), _limited(resolved, limit, lang)),
    ]
    blocking: list[str] = []
    for kind in Blocking:
        points = [b for b in content.blocking if b.kind is kind]
        heading = t(lang, f"dynamics.blocking_{kind.value}", count=len(points), days=content.overdue_days)
        blocking.append(heading)
        blocking += _limited(
            [
                t(
                    lang,
                    "dynamics.blocking_line",
                    ref=f"#{b.number}",
                    company=company(b.company, lang),
                    category=render.category_name(b.category, lang),
                    status=t(lang, f"status.{b.status}"),
                    at=b.at.strftime("%Y-%m-%d"),
                    text=render.excerpt(b.text, 60),
                )
                for b in points
            ],
            limit,
            lang,
        )
    result.append((t(lang, "dynamics.blocking_heading"), blocking))
    notes = [
        t(lang, "dynamics.note_line", kind=t(lang, f"visit.kind_{n.kind}"), company=n.company, text=n.text)
        for n in content.notes
    ] or [t(lang, "dynamics.none")]
    result.append((t(lang, "dynamics.notes_heading"), _limited(notes, limit, lang)))
    return result


def to_markdown(content: BulletinContent, lang: str, limit: int | None = None) -> str:
    return markdown.document(title(content, lang), sections(content, lang, limit))

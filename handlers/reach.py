"""Officers a channel cannot write to: each department's head hears whom, or the department's
group when the head is one of them (a channel's own check finds them, at start)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bot.domain.messages import Reply, ToDepartment, ToOfficer
from bot.domain.org import Directory, Officer
from bot.i18n import t


def unreachable_notices(directory: Directory, unreachable: Sequence[Officer]) -> list[Reply]:
    missing = {officer.id for officer in unreachable}
    by_department: dict[str, list[Officer]] = defaultdict(list)
    for officer in unreachable:
        by_department[officer.department_id].append(officer)
    notices = []
    for department_id, officers in by_department.items():
        department = directory.departments.get(department_id)
        head = directory.officers.get(department.head_officer_id or "") if department else None
        lang = head.lang if head is not None else directory.group_lang(department_id)
        names = t(lang, "telegram.unreachable_joiner").join(f"{o.name}（{o.id}）" for o in officers)
        text = t(lang, "telegram.unreachable_officers", officers=names)
        if head is not None and head.id not in missing:
            notices.append(Reply(text, to=ToOfficer(head.id)))
        else:
            notices.append(Reply(text, to=ToDepartment(department_id)))
    return notices

"""Departments and officers as officers type them in commands: by id, by name in either
language, or by the start of an id when only one id starts that way."""

from __future__ import annotations

from bot.domain.errors import UnknownDepartment, UnknownOfficer
from bot.domain.org import Directory, Officer


def department_and_rest(text: str, directory: Directory, lang: str) -> tuple[str, str]:
    """`区税务局 原因` → ("tax_bureau", "原因"). Names may hold spaces (`District Tax Bureau`), so
    the longest name the text starts with wins."""
    stripped = text.strip()
    folded = stripped.casefold()
    best: tuple[int, str] | None = None
    for department in directory.departments.values():
        for name in (department.id, department.name_zh, department.name_en):
            candidate = name.casefold()
            if _starts_with_word(folded, candidate) and (best is None or len(candidate) > best[0]):
                best = (len(candidate), department.id)
    if best is not None:
        return best[1], stripped[best[0] :].strip()
    word, _, rest = stripped.partition(" ")
    prefixed = [d for d in directory.departments if d.startswith(word.casefold())] if word else []
    if len(prefixed) == 1:
        return prefixed[0], rest.strip()
    raise UnknownDepartment(name=word[:40], known=department_list(directory, lang))


def department_list(directory: Directory, lang: str) -> str:
    """Every department as a command may name it: `tax_bureau（区税务局）、…`."""
    separator = "、" if lang.startswith("zh") else ", "
    return separator.join(
        f"{d.id}（{d.name_zh}）" if lang.startswith("zh") else f"{d.id} ({d.name_en})"
        for d in directory.departments.values()
    )


def officer_named(text: str, directory: Directory, lang: str, department_id: str | None) -> Officer:
    """An officer by id or by name; unknown ones are refused with the department's officers listed."""
    name = text.strip()
    for officer in directory.officers.values():
        if name.casefold() in (officer.id.casefold(), officer.name.casefold()):
            return officer
    colleagues = [o for o in directory.officers.values() if o.department_id == department_id]
    separator = "、" if lang.startswith("zh") else ", "
    known = separator.join(
        f"{o.id}（{o.name}）" if lang.startswith("zh") else f"{o.id} ({o.name})"
        for o in colleagues or directory.officers.values()
    )
    raise UnknownOfficer(name=name[:40], known=known)


def _starts_with_word(text: str, name: str) -> bool:
    return text.startswith(name) and (len(text) == len(name) or text[len(name)].isspace())

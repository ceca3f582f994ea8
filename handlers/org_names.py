"""Departments and officers as officers type them in commands: by id, by name in either
language or a configured alias, or, when only one department fits, by the start of an id, part
of a name, or a Chinese abbreviation of it."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.errors import AmbiguousDepartment, UnknownDepartment, UnknownOfficer
from bot.domain.org import Department, Directory, Officer


def department_and_rest(text: str, directory: Directory, lang: str) -> tuple[str, str]:
    """`区税务局 原因` → ("tax_bureau", "原因"). Names may hold spaces (`District Tax Bureau`), so
    the longest id, name or alias the text starts with wins. Else its first word may be the start
    of an id, part of a name or alias (`税务`, `Tax`), or a Chinese abbreviation (`市监局` for
    市场监督管理局: its characters in order, ending as the name ends), when only one department
    fits; several that fit are listed, to choose from."""
    stripped = text.strip()
    named = _named(stripped, directory)
    if named is not None:
        length, found = named
        if len(found) == 1:
            return found[0].id, stripped[length:].strip()
        raise AmbiguousDepartment(name=stripped[:length][:40], candidates=_listed(found, lang))
    word, _, rest = stripped.partition(" ")
    fitting = [d for d in directory.departments.values() if word and _fits(word.casefold(), d)]
    if len(fitting) == 1:
        return fitting[0].id, rest.strip()
    if fitting:
        raise AmbiguousDepartment(name=word[:40], candidates=_listed(fitting, lang))
    raise UnknownDepartment(name=word[:40], known=department_list(directory, lang))


def _named(text: str, directory: Directory) -> tuple[int, list[Department]] | None:
    """The longest id, name or alias the text starts with, and the departments it names: one, or
    several when two departments were given the same name or alias (the configuration and the
    departments sheet do not stop it), which are listed rather than one of them taken at random.
    A department's own id is never ambiguous: it wins over another's name or alias."""
    folded = text.casefold()
    length, found, by_id = 0, list[Department](), None
    for department in directory.departments.values():
        for name in _names(department):
            candidate = name.casefold()
            if not _starts_with_word(folded, candidate) or len(candidate) < length:
                continue
            if len(candidate) > length:
                length, found, by_id = len(candidate), [], None
            if department not in found:
                found.append(department)
            if candidate == department.id.casefold():
                by_id = department
    if not found:
        return None
    return length, [by_id] if by_id is not None else found


def _names(department: Department) -> tuple[str, ...]:
    return (department.id, department.name_zh, department.name_en, *department.aliases)


def _fits(word: str, department: Department) -> bool:
    if department.id.startswith(word):
        return True
    names = [name.casefold() for name in _names(department)[1:]]
    return any(word in name or _abbreviates(word, name) for name in names)


def _abbreviates(word: str, name: str) -> bool:
    """`市监局` of `市场监督管理局`: at least two characters, found in the name in order, the last
    being the name's last (局, 委, 办…), as Chinese names of offices are shortened."""
    if len(word) < 2 or not name.endswith(word[-1]):
        return False
    rest = iter(name)
    return all(character in rest for character in word)


def _listed(departments: Iterable[Department], lang: str) -> str:
    separator = "、" if lang.startswith("zh") else ", "
    return separator.join(
        f"{d.id}（{d.name_zh}）" if lang.startswith("zh") else f"{d.id} ({d.name_en})" for d in departments
    )


def department_list(directory: Directory, lang: str) -> str:
    """Every department as a command may name it: `tax_bureau（区税务局）、…`."""
    return _listed(directory.departments.values(), lang)


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

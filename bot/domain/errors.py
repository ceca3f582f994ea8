"""Domain errors carry a catalogue key and its parameters, so handlers can say them in any language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. `key` names the catalogue message that explains it to a person."""

    key = "error.domain"

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(f"{self.key} {params}")


class NotAllowed(DomainError):
    """The actor's role or relation to the ticket does not permit the action."""

    key = "error.not_allowed"


class IllegalTransition(DomainError):
    """The action does not apply to a ticket in its current status."""

    key = "error.illegal_transition"


class AlreadyTaken(DomainError):
    key = "error.already_taken"


class NoExtensionPending(DomainError):
    """/approve or /rejectext on a ticket with no extension request waiting for a decision."""

    key = "error.no_extension_pending"


class UnknownDepartment(DomainError):
    """A command named a department that is not configured; `known` lists the ones that are."""

    key = "error.unknown_department"


class AmbiguousDepartment(DomainError):
    """A command named a department in a way that fits several; `candidates` lists them."""

    key = "error.ambiguous_department"


class UnknownOfficer(DomainError):
    """A command named an officer who is not configured; `known` lists some who are."""

    key = "error.unknown_officer"


class EmptyText(DomainError):
    key = "error.empty_text"


class Conflict(DomainError):
    """Someone else changed the ticket between our read and our write."""

    key = "error.conflict"


class NotFound(DomainError):
    key = "error.ticket_not_found"


class Usage(DomainError):
    """A command was given the wrong arguments; `command` names its usage line in the catalogue."""

    key = "error.usage"


class NoOpenTicket(DomainError):
    """A follow-up (status, urge, withdraw) named no ticket and the sender has none open."""

    key = "error.no_open_ticket"

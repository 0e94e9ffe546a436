"""Domain errors. The API maps them to HTTP in one place; web views flash them."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the command (HTTP 409)."""

    status = 409
    code = "business_rule"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None,
                 details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
        self.details = details or {}


class InvalidTransition(DomainError):
    code = "invalid_transition"


class InvalidInput(DomainError):
    """Input that is well-formed but wrong: unknown ids, duplicates (HTTP 422)."""

    status = 422
    code = "validation_error"

    def __init__(self, fields: dict[str, list[str]], message: str = "The input is not valid.") -> None:
        super().__init__(message, fields=fields)


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, entity: str, ident: object) -> None:
        super().__init__(f"No {entity} with id {ident}.")
        self.entity, self.ident = entity, ident


class Forbidden(DomainError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "Your role does not allow this.") -> None:
        super().__init__(message)


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def check_transition(entity: str, current, target, table: dict) -> None:
    """Refuse a move that the entity's declared transition table does not allow."""
    if target not in table.get(current, set()):
        raise InvalidTransition(
            f"A {entity} cannot go from {current} to {target}.",
            details={"from": str(current), "to": str(target)},
        )

"""Domain errors. Each carries its HTTP status and a stable code; the API renders
them in one place (``leads_core.api.errors``) and pages show ``message`` with
``st.error``. No other module in the core knows about HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from leads_core.fields import BY_API_NAME

M = TypeVar("M", bound=BaseModel)


class LeadsError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []

    def __reduce__(self) -> tuple[Any, ...]:
        """Raised in an import's worker process, it reaches the app whole: its class,
        message, details and headers (pickle would call ``cls(message)`` alone)."""
        return (_rebuilt, (type(self), self.message, self.details, getattr(self, "headers", None)))


def _rebuilt(
    cls: type[LeadsError], message: str, details: list[dict[str, Any]], headers: Any
) -> LeadsError:
    error = cls.__new__(cls)
    LeadsError.__init__(error, message, details=details)
    if headers is not None:
        error.headers = headers  # type: ignore[attr-defined]
    return error


class ValidationFailed(LeadsError):
    status = 422
    code = "validation_error"


class NotFound(LeadsError):
    status = 404
    code = "not_found"


class Conflict(LeadsError):
    status = 409
    code = "conflict"


class PreconditionFailed(LeadsError):
    """An ``If-Match`` naming a version the lead has moved past: someone else changed it."""

    status = 412
    code = "precondition_failed"


class PayloadTooLarge(LeadsError):
    status = 413
    code = "payload_too_large"


class BadFile(LeadsError):
    """An uploaded file that cannot be read as CSV text."""

    status = 400
    code = "bad_file"


class Unauthorized(LeadsError):
    status = 401
    code = "unauthorized"


class Forbidden(LeadsError):
    """Authenticated, but the user's role or the key's scope does not allow this."""

    status = 403
    code = "forbidden"


class RateLimited(LeadsError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, details=[{"retryAfter": retry_after}])
        self.headers = {"Retry-After": str(retry_after)}


def validated(model: type[M], data: Mapping[str, Any]) -> M:
    """``model.model_validate(data)``, a pydantic error turned into ``ValidationFailed``
    naming each field (camelCase) and what is wrong - for callers that are not the API
    (the dashboard, the CLI), which FastAPI does not validate for. The message names a
    lead field by its label ("Email: 'x' is not a valid email address")."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(to_camel(str(p)) for p in err["loc"]) or "body",
                "message": err["msg"],
            }
            for err in exc.errors(include_url=False)
        ]
        message = "; ".join(f"{_in_words(d['field'])}: {d['message']}" for d in details[:5])
        raise ValidationFailed(message, details=details) from None


def _in_words(field: str) -> str:
    """A lead field's label ("LinkedIn URL" for ``linkedinUrl``); other names as they are."""
    known = BY_API_NAME.get(field)
    return known.label if known else field

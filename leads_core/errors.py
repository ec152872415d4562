"""Domain errors. Each carries its HTTP status and a stable code; the API renders
them in one place (``leads_core.api.errors``) and pages show ``message`` with
``st.error``. No other module in the core knows about HTTP."""

from __future__ import annotations

from typing import Any


class LeadsError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class ValidationFailed(LeadsError):
    status = 422
    code = "validation_error"


class NotFound(LeadsError):
    status = 404
    code = "not_found"


class Conflict(LeadsError):
    status = 409
    code = "conflict"


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

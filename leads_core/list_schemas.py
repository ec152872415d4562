"""The data models of a list of leads (``GET /v1/leads``), beside ``leads_core.schemas``,
whose base and conventions they share: a page, and a lead with only the fields asked for
(``fields=``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field as DataField
from pydantic import create_model

from leads_core.schemas import ApiModel, LeadPublic, _public_fields

if TYPE_CHECKING:

    class LeadFields(ApiModel):
        def __getattr__(self, name: str) -> Any: ...

else:
    LeadFields = create_model(
        "LeadFields",
        __base__=ApiModel,
        __doc__="A lead of a list asked for with `fields=`: `id` and the fields named.",
        __module__=__name__,
        **{
            name: (kind, ...) if name == "id" else (kind | None, None)
            for name, (kind, _) in _public_fields().items()
        },
    )


class LeadPage(ApiModel):
    """A page of leads. With `page`: `total`, `page` and `totalPages` count the matches; with
    `cursor` (a walk, counting nothing) they are null. `nextCursor` continues in a walk."""

    leads: list[LeadPublic | LeadFields]
    total: int | None
    page: int | None
    total_pages: int | None
    next_cursor: str | None = DataField(
        description="Send it as `cursor` for the next page of a walk in creation order; null "
        "on the last page (and for a `page` sorted otherwise than by createdAt)."
    )

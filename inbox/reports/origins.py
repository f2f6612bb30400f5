"""The campaign filter of the reports: the conversations opened by replies to one campaign.

Campaigns are built on the inbox, which never imports them: the campaigns app registers
what the filter needs (``register_campaigns``) when it loads, as a channel app registers its
adapter. Without it the reports offer no campaign to choose, and a campaign named in a URL
keeps no conversation.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class CampaignSource:
    # The campaigns to choose among, as (public id, name), newest first: one query.
    choices: Callable[[], list[tuple[str, str]]]
    # The conversations opened by replies to the campaign ``public_id``: a queryset of
    # their ids (``values("conversation_id")``), asked inside the report's own queries.
    conversations: Callable[[str], QuerySet]


_source: CampaignSource | None = None


def register_campaigns(source: CampaignSource) -> None:
    global _source
    _source = source


def campaign_choices() -> list[tuple[str, str]]:
    return _source.choices() if _source is not None else []


def campaign_name(public_id: str) -> str:
    """The campaign's name, for a list's header ("" when there is no such campaign)."""
    return dict(campaign_choices()).get(public_id, "")


def campaign_q(public_id: str, prefix: str = "") -> Q:
    """The conversations opened by replies to campaign ``public_id`` (everything when it is
    blank); ``prefix`` reaches the conversation through a relation."""
    if not public_id:
        return Q()
    if _source is None:
        return Q(**{f"{prefix}pk__in": []})
    return Q(**{f"{prefix}pk__in": _source.conversations(public_id)})

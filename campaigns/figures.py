"""A campaign's figures, counted by the worker and kept on the campaign's row.

Counting them means reading every recipient with its message (a hundred thousand rows for a
large campaign): the page must not. The worker's sweep (``figures_refresh_due``, every
``CAMPAIGN_FIGURES_SECONDS``) counts again the campaigns whose figures may have changed:
those running (sends released, recipients held until a time that passes), those marked to
count (``figures_at`` None: started, paused, finished, cancelled), and those with a
conversation named in the live log since its last sweep (a receipt, a reply, an opt-out).
Figures that changed are stored and told by push (a live event of kind ``campaign``), and
the campaign's page, open in any tab, draws them again.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from inbox.live_events import event_record, events_after, head

from .models import Campaign, Recipient
from .selectors import FIGURE_NAMES, figures_counted

# Where the sweep stands in the live log (lost with the cache: it starts from the head then,
# and running campaigns are counted anyway).
CURSOR_KEY = "campaigns:figures:after"


def campaign_figures(*, campaign: Campaign) -> dict:
    """What the page shows: the stored figures; none before it is planned (no recipient
    yet); counted now only the first time after (before the worker's sweep did)."""
    if campaign.planned_at is None:
        return {**dict.fromkeys(FIGURE_NAMES, 0), "recipients": 0, "failures": []}
    if campaign.figures is None:
        campaign_figures_refresh(campaign=campaign)
    return campaign.figures


def campaign_figures_refresh(*, campaign: Campaign, now: datetime | None = None) -> bool:
    """Count the campaign's figures and store them; tell the pages when they changed."""
    now = now or timezone.now()
    figures = figures_counted(campaign=campaign, now=now)
    changed = figures != campaign.figures
    Campaign.objects.filter(pk=campaign.pk).update(figures=figures, figures_at=now)
    campaign.figures, campaign.figures_at = figures, now
    if changed:
        event_record(kind="campaign", data={"campaign": campaign.public_id})
    return changed


def figures_refresh_due(*, now: datetime | None = None) -> int:
    """The worker's sweep: count again what may have changed; return how many changed."""
    now = now or timezone.now()
    after = cache.get(CURSOR_KEY)
    touched, after = _touched_since(after)
    stale = now - timedelta(seconds=settings.CAMPAIGN_FIGURES_SECONDS)
    due = Campaign.objects.filter(
        Q(pk__in=touched)
        | Q(state=Campaign.State.RUNNING, figures_at__lt=stale)
        | Q(planned_at__isnull=False, figures_at__isnull=True)
        | Q(state=Campaign.State.RUNNING, figures_at__isnull=True)
    )
    changed = sum(campaign_figures_refresh(campaign=c, now=now) for c in due)
    cache.set(CURSOR_KEY, after, timeout=None)
    return changed


def _touched_since(after: int | None) -> tuple[set[int], int]:
    """The campaigns with a conversation named in the live log after ``after``, and the
    log's position read up to."""
    if after is None:
        return set(), head()
    conversations: set[int] = set()
    while events := events_after(after):
        conversations.update(e.conversation_id for e in events if e.conversation_id)
        after = events[-1].id
    if not conversations:
        return set(), after
    campaigns = (
        Recipient.objects.filter(conversation_id__in=conversations)
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    return set(campaigns), after

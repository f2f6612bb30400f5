"""A campaign's figures, counted by the worker and kept on the campaign's row.

Counting them means reading every recipient with its message (a hundred thousand rows for a
large campaign): the page must not. The worker's sweep (``figures_refresh_due``, every
``CAMPAIGN_FIGURES_SECONDS``) counts again the campaigns whose figures may have changed:
those running (sends released, recipients held until a time that passes), those marked to
count (``figures_at`` None: started, paused, finished, cancelled), and those whose
recipients' conversations or contacts the live log names since its last sweep (a receipt, a
reply, a STOP in any thread). What the log cannot say (an opt-out by a contact import, a
sweep that lost its place) is caught by a slower recount of the campaigns finished in the
last ``RECENT``, every ``SAFETY``. Figures that changed are stored and told by push (a live
event of kind ``campaign``, heard by its owner and the admins), and the campaign's page, open
in any tab, draws them again.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inbox.live_events import event_record, events_after, oldest_kept
from inbox.models import Conversation

from .models import Campaign, Recipient
from .selectors import FIGURE_NAMES, figures_counted

# Where the sweep stands in the live log, in the cache every worker shares (lost, or behind
# what the log keeps: it reads what the log keeps again).
CURSOR_KEY = "campaigns:figures:after"
RECENT = timedelta(days=7)
SAFETY = timedelta(minutes=5)


def campaign_figures(*, campaign: Campaign) -> dict:
    """What the page shows: the stored figures; none before it is planned (no recipient
    yet); counted now only the first time after (before the worker's sweep did)."""
    if campaign.planned_at is None:
        return {**dict.fromkeys(FIGURE_NAMES, 0), "recipients": 0, "failures": []}
    if campaign.figures is None:
        campaign_figures_refresh(campaign=campaign)
    return campaign.figures


def campaign_figures_refresh(*, campaign: Campaign, now: datetime | None = None) -> bool:
    """Count the campaign's figures and store them; tell the pages when they changed.

    The campaign's row is locked while counting: a pause, cancel or finish that asks for a
    recount (``figures_at`` None) waits, and is never overwritten by a count it came after."""
    now = now or timezone.now()
    with transaction.atomic():
        stored = list(
            Campaign.objects.select_for_update()
            .filter(pk=campaign.pk)
            .values_list("figures", flat=True)
        )
        if not stored:
            return False  # deleted meanwhile
        figures = figures_counted(campaign=campaign, now=now)
        changed = figures != stored[0]
        Campaign.objects.filter(pk=campaign.pk).update(figures=figures, figures_at=now)
        if changed:
            event_record(
                kind="campaign",
                user_id=campaign.owner_id,
                data={"campaign": campaign.public_id, "admins": True},
            )
    campaign.figures, campaign.figures_at = figures, now
    return changed


def figures_refresh_due(*, now: datetime | None = None) -> int:
    """The worker's sweep: count again what may have changed; return how many changed."""
    now = now or timezone.now()
    cursors = caches["shared"]
    touched, after = _touched_since(cursors.get(CURSOR_KEY))
    stale = now - timedelta(seconds=settings.CAMPAIGN_FIGURES_SECONDS)
    due = Campaign.objects.filter(
        Q(pk__in=touched)
        | Q(state=Campaign.State.RUNNING, figures_at__lt=stale)
        | Q(planned_at__isnull=False, figures_at__isnull=True)
        | Q(finished_at__gte=now - RECENT, figures_at__lt=now - SAFETY)
    )
    changed = sum(campaign_figures_refresh(campaign=c, now=now) for c in due)
    cursors.set(CURSOR_KEY, after, timeout=None)
    return changed


def _touched_since(after: int | None) -> tuple[set[int], int | None]:
    """The campaigns whose recipients' conversations or contacts the live log names after
    ``after``, and the log's position read up to. A place lost, or older than the log
    keeps, reads all the log keeps."""
    oldest = oldest_kept()
    if oldest is None:
        return set(), after
    if after is None or after < oldest - 1:
        after = oldest - 1
    conversations: set[int] = set()
    while events := events_after(after):
        conversations.update(e.conversation_id for e in events if e.conversation_id)
        after = events[-1].id
    if not conversations:
        return set(), after
    contacts = Conversation.objects.filter(pk__in=conversations).values("contact_id")
    campaigns = (
        Recipient.objects.filter(
            Q(conversation_id__in=conversations) | Q(contact_id__in=contacts),
            message__isnull=False,
        )
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    return set(campaigns), after

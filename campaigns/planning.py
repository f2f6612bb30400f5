"""Planning a campaign: each recipient resolved once, planned or excluded with a reason.

Contacts are read in chunks (ranges of the primary key) as plain tuples and written with one
bulk insert per chunk, so memory stays flat however large the audience. A contact that
already has its row (a plan run again after a worker was killed mid-plan) is passed over by
the chunk's query, and the unique constraints make a plan run twice at once add each row
once.
"""

from django.db.models import Case, F, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Left, Substr
from django.db.models.lookups import Exact
from django.utils import timezone

from inbox.bulk_insert import insert_rows
from inbox.models import (
    Channel,
    Contact,
    ContactFieldValue,
    Conversation,
    CustomField,
    ImportedContact,
)
from inbox.models.ids import new_public_ids

from .audience import campaign_audience, is_us_marketing, message_needs
from .models import Campaign, Exclusion, Recipient

CHUNK = 5000
COLUMNS = (
    "public_id",
    "campaign",
    "contact",
    "address",
    "sender",
    "state",
    "exclusion",
    "held_reason",
    "failure",
)
# Each contact's tuple: these fields;
CONTACT_FIELDS = ("pk", "display_name", "phone_e164", "sms_opted_out_at", "whatsapp_consent_at")
NAME, PHONE, OPTED_OUT_AT, CONSENT_AT = 1, 2, 3, 4
# then the number the campaign goes to, the contact's row if it has one already (a plan run
# again), another contact's row holding that number (not excluded) if there is one;
ADDRESS, PLANNED, TAKEN = 5, 6, 7
# then the sender ID it talks with (when the campaign has more than one), and the values of
# the custom fields the message takes.
ANNOTATED = 8


def campaign_plan(*, campaign: Campaign) -> int:
    """Write the campaign's recipient rows; return how many were added by this call."""
    senders = list(campaign.senders.order_by("pk").values_list("pk", flat=True))
    plan = _Plan(campaign, senders)
    contacts = (
        campaign_audience(campaign)
        .annotate(**plan.annotations)
        .order_by("pk")
        .values_list(*CONTACT_FIELDS, *plan.annotations)
    )
    low, high = _id_span(campaign)
    added, after = 0, low - 1
    while after < high:
        # A range of ids, not "the next CHUNK after": however few contacts the planner
        # expects the filters to keep, the chunk reads CHUNK ids of the index at most.
        chunk = list(contacts.filter(pk__gt=after, pk__lte=after + CHUNK))
        after += CHUNK
        if chunk:
            added += plan.write(chunk)
    Campaign.objects.filter(pk=campaign.pk, planned_at__isnull=True).update(
        planned_at=timezone.now()
    )
    return added


def _id_span(campaign: Campaign) -> tuple[int, int]:
    """The lowest and highest contact id the audience can hold (its uploaded list's, or
    every contact's), read from an index's ends; (1, 0) when there are none."""
    if campaign.contact_list_id is not None:
        ids = ImportedContact.objects.filter(contact_import_id=campaign.contact_list_id)
        span = ids.aggregate(low=Min("contact_id"), high=Max("contact_id"))
    else:
        span = Contact.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if span["low"] is None:
        return 1, 0
    return span["low"], span["high"]


class _Plan:
    """One campaign's rules, worked out once, applied to chunk after chunk of contacts."""

    def __init__(self, campaign: Campaign, senders: list[int]) -> None:
        self.campaign = campaign
        self.senders = senders
        self.whatsapp = campaign.channel == Channel.WHATSAPP
        self.annotations = {
            "to": address_expression(campaign),
            # Scalar subqueries (a row's id or null), never hashed over all the campaign's
            # rows: one index entry looked up per contact, however far the plan is.
            "planned": Subquery(
                Recipient.objects.filter(campaign=campaign, contact=OuterRef("pk")).values("pk")[:1]
            ),
            "taken": Subquery(
                Recipient.objects.filter(campaign=campaign, address=OuterRef("to"))
                .filter(~Q(state=Recipient.State.EXCLUDED))
                .exclude(contact=OuterRef("pk"))
                .values("pk")[:1]
            ),
        }
        if len(senders) > 1:
            # A contact already talking with one of the campaign's sender IDs keeps it (the
            # latest thread wins). With one sender ID, that is the one it gets anyway.
            self.annotations["talking"] = Subquery(
                Conversation.objects.filter(contact=OuterRef("pk"), sender_id__in=senders)
                .order_by("-last_activity_at", "-pk")
                .values("sender_id")[:1]
            )
        fields, self.never_complete = message_needs(campaign)
        custom = dict(CustomField.objects.filter(name__in=fields).values_list("name", "pk"))
        # Where each field the message takes is in a contact's tuple.
        self.needed = []
        for name in fields:
            if name == "name":
                self.needed.append(NAME)
            elif name == "phone":
                self.needed.append(PHONE)
            elif name not in custom:
                self.never_complete = True  # a field nobody has a value for
            else:
                self.needed.append(len(CONTACT_FIELDS) + len(self.annotations))
                self.annotations[f"field_{len(self.annotations)}"] = Subquery(
                    ContactFieldValue.objects.filter(
                        contact=OuterRef("pk"), field_id=custom[name]
                    ).values("value")[:1]
                )

    def write(self, chunk: list[tuple]) -> int:
        """Resolve and insert the chunk's rows; return how many were written."""
        campaign, senders = self.campaign, self.senders
        # Numbers other contacts of the campaign already have (planned, or sent).
        taken = {contact[ADDRESS] for contact in chunk if contact[TAKEN] is not None}
        talking = len(senders) > 1
        rows = []
        for contact, public_id in zip(chunk, new_public_ids(len(chunk)), strict=True):
            if contact[PLANNED] is not None:
                continue  # resolved by an earlier plan: its row stands
            address = contact[ADDRESS]
            exclusion = self.exclusion(contact, address, taken)
            if not exclusion:
                taken.add(address)
            pk = contact[0]
            rows.append(
                (
                    public_id,
                    campaign.pk,
                    pk,
                    address,
                    (talking and contact[ANNOTATED]) or senders[pk % len(senders)],
                    Recipient.State.EXCLUDED if exclusion else Recipient.State.PLANNED,
                    exclusion,
                    "",
                    "",
                )
            )
        return len(
            insert_rows(Recipient, COLUMNS, rows, on_conflict="DO NOTHING", returning=("id",))
        )

    def exclusion(self, contact: tuple, address: str, taken: set[str]) -> str:
        """Why ``contact`` is not sent the campaign, or "" when it is planned."""
        if not address.startswith("+"):
            return Exclusion.INVALID_NUMBER
        if contact[OPTED_OUT_AT] is not None:
            return Exclusion.OPTED_OUT
        if self.whatsapp:
            if contact[CONSENT_AT] is None:
                return Exclusion.NO_WHATSAPP_OPT_IN
            if is_us_marketing(self.campaign, address):
                return Exclusion.US_MARKETING
        if self.never_complete or any(not (contact[i] or "").strip() for i in self.needed):
            return Exclusion.MISSING_VALUE
        if address in taken:
            return Exclusion.DUPLICATE
        return ""


def address_expression(campaign: Campaign):
    """The number the campaign goes to: the WhatsApp number (without its "whatsapp:"),
    else the phone; blank when there is none."""
    phone = Coalesce("phone_e164", Value(""))
    if campaign.channel != Channel.WHATSAPP:
        return phone
    prefix = "whatsapp:"
    return Case(
        When(whatsapp_id="", then=phone),
        When(
            Exact(Left("whatsapp_id", len(prefix)), Value(prefix)),
            then=Substr("whatsapp_id", len(prefix) + 1),
        ),
        default=F("whatsapp_id"),
    )

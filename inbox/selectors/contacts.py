"""Reads for the contacts pages (F-CT1): the list, its search and filters, one contact."""

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.db.models import (
    Case,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from ..access import visible_conversations
from ..models import (
    ConsentRecord,
    Contact,
    ContactChange,
    ContactFieldValue,
    ContactIdentity,
    Conversation,
    IdentityKind,
    Label,
    User,
)
from ..models.contacts import NUMBER_KINDS
from ..models.ids import looks_like_public_id

CONTACTS_PAGE = 50
SUGGESTIONS = 8
# A number typed with its trunk 0 is a whole national number: this long without the 0.
NATIONAL_MIN_DIGITS = 6
_PHONE_LIKE = re.compile(r"^[\d\s+().\-/]+$")


class Consent:
    """The consent filter's states."""

    OPTED_OUT = "opted_out"
    SUBSCRIBED = "subscribed"
    WHATSAPP = "whatsapp"
    CHOICES = (
        (OPTED_OUT, "Opted out"),
        (SUBSCRIBED, "Not opted out"),
        (WHATSAPP, "WhatsApp consent recorded"),
    )


@dataclass(frozen=True)
class ContactFilters:
    """Search and filters of the contacts list, parsed from GET parameters (bad values ignored)."""

    q: str = ""
    label: str = ""
    consent: str = ""

    @classmethod
    def from_query(cls, params) -> "ContactFilters":
        consent = params.get("consent", "").strip()
        return cls(
            q=params.get("q", "").strip()[:100],
            label=params.get("label", "").strip()[:50],
            consent=consent if consent in dict(Consent.CHOICES) else "",
        )

    def as_params(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value}


def contact_search_q(text: str, *, contact: str = "", email: bool = True) -> Q:
    """A name (substring), an e-mail (``email``: any of the contact's), a contact id, or a
    number as ``typed_number_endings`` reads it (the phone or any other number of the
    contact's, F-CT4); ``contact`` is the path to the contact (``"contact__"`` from a
    conversation).

    Text that reads as a number is looked up as a subquery of contact ids: PostgreSQL
    combines the name, id and number indexes, adds the identities' own (a UNION) and joins
    the few contacts found, instead of testing every row of the list it filters (a walk that
    grew with the data set: a second a search at a million contacts). A name stays a
    condition on the row: a common one matches thousands of contacts, and walking the list
    newest first finds a page of them soonest."""
    endings = typed_number_endings(text)
    if not endings:
        return _on_the_row(text, contact=contact, email=email)
    found = Contact.objects.filter(_on_the_row(text, email=email) | _ends_q(endings))
    numbers = _numbers().filter(_ends_q(endings, "address")).order_by()
    ids = found.order_by().values("pk").union(numbers.values("contact_id"))
    return Q(**{f"{contact}pk__in": ids})


def _on_the_row(text: str, *, contact: str = "", email: bool) -> Q:
    q = Q(**{f"{contact}display_name__icontains": text})
    if looks_like_public_id(text):
        # Only then: an OR of the id's own index keeps PostgreSQL from walking the list by
        # time and testing each row's name (it read every contact instead).
        q |= Q(**{f"{contact}public_id": text.lower()})
    if email and "@" in text:
        emails = ContactIdentity.objects.filter(kind=IdentityKind.EMAIL, address=text.lower())
        q |= Q(**{f"{contact}email__iexact": text})
        q |= Q(**{f"{contact}pk__in": emails.values("contact_id")})
    return q


def typed_number_endings(text: str) -> list[str]:
    """The digits a stored E.164 number ends with when ``text`` is that number typed in any
    common format: with or without the country code, its last four digits (``0123``
    included), or in national format (a trunk ``0`` before the rest: ``07700 900123``)."""
    if not _PHONE_LIKE.match(text):
        return []
    digits = re.sub(r"\D", "", text)
    endings = [digits] if len(digits) >= 4 else []
    national = digits.lstrip("0")
    if national != digits and len(national) >= NATIONAL_MIN_DIGITS:
        endings.append(national)
    return endings


def _ends_q(endings: list[str], field: str = "phone_e164") -> Q:
    q = Q()
    for digits in endings:
        q |= Q(**{f"{field}__endswith": digits})
    return q


def number_found_by(text: str) -> Case | F:
    """The number a contact found by ``text`` is written to: its phone, unless ``text`` is
    one of its secondary numbers (kept from a merge) and not its phone; then that one."""
    endings = typed_number_endings(text)
    if not endings:
        return F("phone_e164")
    secondary = (
        _numbers()
        .filter(_ends_q(endings, "address"), contact=OuterRef("pk"))
        .order_by("added_at", "id")
        .values("address")[:1]
    )
    return Case(
        When(_ends_q(endings), then=F("phone_e164")),
        default=Coalesce(Subquery(secondary), F("phone_e164")),
    )


def _numbers() -> QuerySet[ContactIdentity]:
    return ContactIdentity.objects.filter(kind__in=NUMBER_KINDS)


def contacts_filtered(filters: ContactFilters) -> QuerySet[Contact]:
    qs = Contact.objects.all()
    if filters.q:
        qs = qs.filter(contact_search_q(filters.q))
    if filters.label:
        qs = qs.filter(labels__name=filters.label)
    if filters.consent == Consent.OPTED_OUT:
        qs = qs.filter(sms_opted_out_at__isnull=False)
    elif filters.consent == Consent.SUBSCRIBED:
        qs = qs.filter(sms_opted_out_at__isnull=True)
    elif filters.consent == Consent.WHATSAPP:
        qs = qs.filter(whatsapp_consent_at__isnull=False)
    return qs


@dataclass(frozen=True)
class ContactCursor:
    """Keyset position in the list ordered by (last_activity_at desc, id desc)."""

    at: datetime
    pk: int

    def encode(self) -> str:
        return f"{self.at.timestamp():.6f}_{self.pk}"

    @classmethod
    def decode(cls, raw: str | None) -> "ContactCursor | None":
        try:
            ts, pk = (raw or "").split("_", 1)
            return cls(datetime.fromtimestamp(float(ts), tz=UTC), int(pk))
        except (ValueError, OverflowError, OSError):
            return None


def contacts_page(
    *, filters: ContactFilters, after: ContactCursor | None, limit: int = CONTACTS_PAGE
) -> tuple[list[Contact], ContactCursor | None]:
    """One page of contacts, newest activity first, with their labels; and the next cursor."""
    qs = contacts_filtered(filters).order_by("-last_activity_at", "-id")
    if after is not None:
        qs = qs.filter(
            Q(last_activity_at__lt=after.at) | Q(last_activity_at=after.at, id__lt=after.pk)
        )
    rows = list(
        qs.only(
            "public_id",
            "display_name",
            "phone_e164",
            "email",
            "sms_opted_out_at",
            "whatsapp_consent_at",
            "last_activity_at",
        ).prefetch_related(Prefetch("labels", queryset=Label.objects.only("name")))[: limit + 1]
    )
    cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        cursor = ContactCursor(rows[-1].last_activity_at, rows[-1].pk)
    return rows, cursor


def contacts_for_export(*, filters: ContactFilters) -> Iterator[Contact]:
    """Every contact of the filtered list, read in chunks (with their labels and custom
    field values) as it streams."""
    return (
        contacts_filtered(filters)
        .order_by("-last_activity_at", "-id")
        .prefetch_related(
            Prefetch("labels", queryset=Label.objects.only("name")),
            Prefetch(
                "field_values",
                queryset=ContactFieldValue.objects.only("contact_id", "field_id", "value"),
            ),
        )
        .iterator(chunk_size=2000)
    )


def contacts_suggest(*, text: str) -> list[Contact]:
    """Contacts for the new-conversation autocomplete: by name or number, newest first, each
    with ``suggested_number``, the number to write to (``number_found_by``)."""
    text = text.strip()[:100]
    if len(text) < 2:
        return []
    return list(
        Contact.objects.filter(contact_search_q(text), phone_e164__isnull=False)
        .annotate(suggested_number=number_found_by(text))
        .order_by("-last_activity_at", "-id")
        .only("public_id", "display_name", "phone_e164")[:SUGGESTIONS]
    )


def contact_chosen(*, public_id: str, number: str) -> Contact | None:
    """The contact picked from the suggestions, with ``chosen_number``: ``number`` when it
    is one of the contact's secondary numbers (the suggestion was found by it), else its
    phone."""
    secondary = _numbers().filter(contact=OuterRef("pk"), address=number)
    return (
        Contact.objects.filter(public_id=public_id, phone_e164__isnull=False)
        .annotate(
            chosen_number=Coalesce(Subquery(secondary.values("address")[:1]), F("phone_e164"))
        )
        .first()
    )


def contact_conversations(*, user: User, contact: Contact) -> list[Conversation]:
    """The contact's conversations on every sender ID ``user`` may open (and no others)."""
    return list(
        visible_conversations(user)
        .filter(contact=contact)
        .select_related("sender_id", "owner")
        .order_by("-last_activity_at")
    )


def merge_sides(*, kept: Contact, merged: Contact) -> dict:
    """Both contacts of a merge's confirmation, their labels and numbers loaded, and their
    conversations (every one: only admins merge)."""
    prefetch_related_objects(
        [kept, merged], Prefetch("labels", queryset=Label.objects.only("name")), "identities"
    )
    conversations: dict[int, list[Conversation]] = {kept.pk: [], merged.pk: []}
    for conversation in (
        Conversation.objects.filter(contact__in=[kept.pk, merged.pk])
        .select_related("sender_id", "owner")
        .order_by("-last_activity_at")
    ):
        conversations[conversation.contact_id].append(conversation)
    return {
        "kept": kept,
        "merged": merged,
        "kept_conversations": conversations[kept.pk],
        "moving_conversations": conversations[merged.pk],
    }


def contact_history(*, contact: Contact, limit: int = 20) -> list[ContactChange]:
    return list(contact.changes.select_related("actor")[:limit])


def consent_history(*, contact: Contact, limit: int = 20) -> list[ConsentRecord]:
    return list(contact.consents.select_related("actor")[:limit])


def picker_names() -> dict[str, list]:
    """Existing label names, for the label picker of the contact pages' form (the form
    offers the custom field names itself)."""
    return {"label_names": list(Label.objects.values_list("name", flat=True))}

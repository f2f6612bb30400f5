from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.functional import cached_property

from .ids import new_public_id
from .indexes import PostgresGinIndex
from .people import User
from .senders import Channel


class Label(models.Model):
    name = models.CharField(max_length=50, unique=True)
    color = models.CharField(max_length=7, default="#6b7280")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """A custom field, shared by every contact that has a value for it.

    ``label`` is what people type and read ("Order ID"); ``name`` is the key derived from it
    (``order_id``), used in CSV headers and saved-reply placeholders (``{{order_id}}``).
    """

    name = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=50, blank=True)

    def __str__(self) -> str:
        return self.label or self.name


class IdentityKind(models.TextChoices):
    """The kinds of address a customer is reached at. Each channel writes to one kind and
    finds customers by the kinds it names (``inbox.channels.ChannelSpec.identity_kinds``)."""

    PHONE = "phone", "Phone"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "E-mail"
    WEBCHAT = "webchat", "Web chat visitor"


# Kinds whose address is a phone number (E.164, or a short code a customer wrote from).
NUMBER_KINDS = (IdentityKind.PHONE, IdentityKind.WHATSAPP)
# The contact's column that holds its main address of each kind (web-chat visitors have
# none: a conversation shows who they are).
MAIN_COLUMNS = {
    IdentityKind.PHONE: "phone_e164",
    IdentityKind.WHATSAPP: "whatsapp_id",
    IdentityKind.EMAIL: "email",
}


def stored_address(kind: str, address: str) -> str:
    """``address`` as an identity of ``kind`` holds it: e-mail in lower case."""
    address = address.strip()
    return address.lower() if kind == IdentityKind.EMAIL else address


class Contact(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    display_name = models.CharField(max_length=200, blank=True)
    # E.164, validated and normalised by inbox.pure.phone before it gets here.
    phone_e164 = models.CharField(max_length=20, unique=True, null=True, blank=True)
    whatsapp_id = models.CharField(max_length=64, blank=True)
    email = models.EmailField(blank=True)
    labels = models.ManyToManyField(Label, blank=True, related_name="contacts")
    sms_opted_out_at = models.DateTimeField(null=True, blank=True)
    whatsapp_consent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The newest message with this contact on any sender ID (or when it was created): the
    # contacts list's order, kept by the services that record messages.
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["display_name"], name="contact_name_idx"),
            models.Index(fields=["-last_activity_at", "-id"], name="contact_activity_idx"),
            # Search by email: ``iexact`` compares UPPER(email).
            models.Index(Upper("email"), name="contact_email_idx"),
            # Search (F-IN6), PostgreSQL only (migration 0002): substring match on names and
            # phone numbers. Django's ``icontains`` compares UPPER(display_name), so the name
            # index is on that expression; ``endswith`` on the phone uses the column itself.
            PostgresGinIndex(
                OpClass(Upper("display_name"), name="gin_trgm_ops"), name="contact_name_trgm_idx"
            ),
            PostgresGinIndex(
                fields=["phone_e164"], opclasses=["gin_trgm_ops"], name="contact_phone_trgm_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.phone_e164 or self.public_id

    def save(self, *args, **kwargs) -> None:
        """Saved with a main address (new, or named in ``update_fields``), the contact also
        gets that address as an identity, unless another contact has it (one statement)."""
        columns = kwargs.get("update_fields")
        super().save(*args, **kwargs)
        identities = [
            ContactIdentity(contact=self, kind=kind, address=stored_address(kind, address))
            for kind, column in MAIN_COLUMNS.items()
            if (columns is None or column in columns) and (address := getattr(self, column))
        ]
        if identities:
            ContactIdentity.objects.bulk_create(identities, ignore_conflicts=True)

    @property
    def shown_name(self) -> str:
        """The name people see: the saved name, else the number in a readable form."""
        from ..pure.phone import format_phone

        return self.display_name or format_phone(self.phone_e164 or "") or self.public_id

    @cached_property
    def _identities(self) -> list["ContactIdentity"]:
        return list(self.identities.all())  # one query, none when prefetched

    @property
    def other_numbers(self) -> list[str]:
        """The numbers besides ``phone_e164`` and ``whatsapp_id`` (kept from merges, F-CT4,
        or written from), oldest first."""
        main = (self.phone_e164, self.whatsapp_id)
        numbers = (i.address for i in self._identities if i.kind in NUMBER_KINDS)
        return list(dict.fromkeys(n for n in numbers if n not in main))

    @property
    def other_addresses(self) -> list["ContactIdentity"]:
        """The contact's other addresses that are not numbers (e-mail addresses besides
        ``email``, web-chat visitors), oldest first."""
        email = stored_address(IdentityKind.EMAIL, self.email)
        return [
            i
            for i in self._identities
            if i.kind not in NUMBER_KINDS
            and not (i.kind == IdentityKind.EMAIL and i.address == email)
        ]

    @property
    def is_saved(self) -> bool:
        """A contact someone has named, as opposed to a number that just wrote in."""
        return bool(self.display_name)


class ContactIdentity(models.Model):
    """An address a contact is reached at: a phone number, a WhatsApp number, an e-mail
    address, a web-chat visitor. Unique per kind, so an inbound message finds one contact.

    An identity's address never changes: editing a contact's phone adds an identity, and a
    merge (F-CT4) moves the merged contact's identities to the kept one. Conversations point
    at the identity they are with. The contact row keeps its main address of each kind
    (``phone_e164``, ``whatsapp_id``, ``email``) for lists and search indexes; each of those
    has its identity here (``inbox.services.identities`` keeps them together).
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    # As the kind writes it: E.164 for numbers, lower case for e-mail, the widget's id.
    address = models.CharField(max_length=254)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "contact identities"
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "address"], name="one_identity_per_address")
        ]
        indexes = [
            models.Index(fields=["contact", "kind"], name="identity_contact_idx"),
            # Search by any of a contact's numbers (F-IN6), PostgreSQL only: ``endswith``.
            PostgresGinIndex(
                fields=["address"], opclasses=["gin_trgm_ops"], name="identity_address_trgm_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.address


def contact_at_q(address: str, *, kinds=NUMBER_KINDS) -> models.Q:
    """Contacts reached at ``address`` as any of ``kinds`` (by default: as a number)."""
    return models.Q(
        pk__in=ContactIdentity.objects.filter(kind__in=kinds, address=address).values("contact_id")
    )


class ContactFieldValue(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="field_values")
    field = models.ForeignKey(CustomField, on_delete=models.PROTECT, related_name="values")
    value = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "field"], name="one_value_per_field")
        ]


class ConsentRecord(models.Model):
    """History of opt-in and opt-out changes; the contact row holds the current state."""

    class Kind(models.TextChoices):
        OPT_IN = "opt_in", "Opted in"
        OPT_OUT = "opt_out", "Opted out"

    class Source(models.TextChoices):
        KEYWORD = "keyword", "Customer keyword"
        PROVIDER = "provider", "Provider signal"
        ENTERED = "entered", "Entered by a user"
        IMPORTED = "imported", "Imported"
        VERBAL = "verbal", "Verbal"
        WEB_FORM = "web_form", "Web form"
        WRITTEN = "written", "Written"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    detail = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def save(self, *args, **kwargs) -> None:
        """Append-only: a change of consent is a new row, never an edit of an old one."""
        if not self._state.adding:
            raise ValueError("Consent records are never changed; record a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Consent records are never deleted.")


class ContactChange(models.Model):
    """One edit, import or merge of a contact: who, when, and each field's old and new value.

    ``changes`` is a list of ``{"field": label, "old": text, "new": text}``.
    """

    class Source(models.TextChoices):
        EDITED = "edited", "Edited"
        IMPORTED = "imported", "Imported"
        MERGED = "merged", "Merged"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.EDITED)
    changes = models.JSONField(default=list)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["contact", "-at"], name="contactchange_contact_idx")]


class ContactImport(models.Model):
    """A CSV upload: its text, the column mapping chosen on the preview, and its progress."""

    class State(models.TextChoices):
        PREVIEW = "preview", "Waiting for the column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255, blank=True)
    source = models.TextField()
    # Column index (as text) -> target: "name", "phone", "whatsapp", "email", "labels",
    # "consent" or "field:<key>"; unmapped columns are ignored.
    mapping = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PREVIEW)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # Contacts whose SMS consent the import changed, and those it did not re-subscribe
    # because their latest opt-out was their own (a STOP).
    consent_count = models.PositiveIntegerField(default=0)
    consent_kept_count = models.PositiveIntegerField(default=0)
    # How the file was read ("UTF-8", "Windows-1252", "UTF-16"), and the rows that cannot
    # be imported as read, by row number (as text) -> the reason: a line that was not valid
    # UTF-8 in a UTF-8 file, a NUL character.
    encoding = models.CharField(max_length=20, default="UTF-8")
    row_problems = models.JSONField(default=dict)
    # The rejected rows as CSV: row number, reason, then the row as it came (and the rows
    # imported without their consent change, with the reason).
    errors_csv = models.TextField(blank=True)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When it was queued, then when a worker last wrote a chunk: a queued or running import
    # left alone for a while has lost its task (a broker outage, a killed worker) and is
    # queued again by the sweep (``contact_imports_requeue``).
    worked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.state == self.State.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_running(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)


class ImportedContact(models.Model):
    """A contact one of an import's rows wrote (created, updated or matched unchanged): the
    uploaded list a campaign can send to. Written with the chunk it belongs to."""

    # The first column of the unique constraint: no index of its own.
    contact_import = models.ForeignKey(
        ContactImport, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact_import", "contact"], name="imported_contact_once"
            )
        ]

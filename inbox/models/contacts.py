from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

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


class Contact(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    display_name = models.CharField(max_length=200, blank=True)
    # E.164, validated and normalised by inbox.phone before it gets here.
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

    @property
    def shown_name(self) -> str:
        """The name people see: the saved name, else the number in a readable form."""
        from ..phone import format_phone

        return self.display_name or format_phone(self.phone_e164 or "") or self.public_id

    @property
    def is_saved(self) -> bool:
        """A contact someone has named, as opposed to a number that just wrote in."""
        return bool(self.display_name)


def contact_with_number_q(phone: str) -> models.Q:
    """Contacts reached at ``phone``: as their primary number or as a secondary one."""
    return models.Q(phone_e164=phone) | models.Q(
        pk__in=ContactNumber.objects.filter(phone_e164=phone).values("contact_id")
    )


class ContactNumber(models.Model):
    """A contact's other number, kept from a contact merged into it (F-CT4).

    Inbound messages and new conversations to this number find the contact; conversations
    keep their own number (``Conversation.customer_phone``) to send to.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="numbers")
    phone_e164 = models.CharField(max_length=20, unique=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]

    def __str__(self) -> str:
        return self.phone_e164


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
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.state == self.State.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_running(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper

from .ids import new_public_id
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
    """A custom field name, shared by every contact that has a value for it."""

    name = models.SlugField(max_length=50, unique=True)

    def __str__(self) -> str:
        return self.name


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

    class Meta:
        indexes = [
            models.Index(fields=["display_name"], name="contact_name_idx"),
            # Search (F-IN6), PostgreSQL only (migration 0002): substring match on names and
            # phone numbers. Django's ``icontains`` compares UPPER(display_name), so the name
            # index is on that expression; ``endswith`` on the phone uses the column itself.
            GinIndex(
                OpClass(Upper("display_name"), name="gin_trgm_ops"), name="contact_name_trgm_idx"
            ),
            GinIndex(
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
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

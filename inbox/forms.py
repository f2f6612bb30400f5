import uuid

from django import forms
from django.conf import settings
from django.core.validators import validate_slug

from .access import usable_sender_ids
from .media_types import HEAD_BYTES, media_type_sniff
from .models import Contact, SenderId, User
from .phone import InvalidPhoneNumber, normalise_phone
from .selectors import contact_with_details


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class ComposeForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a reply…"}),
        max_length=settings.MESSAGE_MAX_LENGTH,
        required=False,
        strip=True,
    )
    # One key per rendered form: a double click or a resubmission sends once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        """Attachments come as ``media`` files: checked for count, size and type here."""
        cleaned = super().clean()
        media = self.files.getlist("media") if self.files else []
        if len(media) > settings.MESSAGE_MAX_MEDIA:
            raise forms.ValidationError(
                f"Attach at most {settings.MESSAGE_MAX_MEDIA} files to one message."
            )
        total = sum(f.size for f in media)
        if total > settings.OUTBOUND_MEDIA_MAX_BYTES:
            limit = settings.OUTBOUND_MEDIA_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"Attachments may total {limit} MB at most.")
        for f in media:
            f.seek(0)
            sniffed = media_type_sniff(f.read(HEAD_BYTES))
            f.seek(0)
            if sniffed is None:
                raise forms.ValidationError(
                    f"{f.name} cannot be sent: attach JPEG, PNG or GIF images, PDF, audio or video."
                )
            f.content_type = sniffed  # what is stored and served, whatever the browser said
        if not cleaned.get("body") and not media:
            raise forms.ValidationError("Write a message or attach a file before sending.")
        cleaned["media"] = media
        return cleaned


class NewConversationForm(ComposeForm):
    sender = forms.ModelChoiceField(queryset=SenderId.objects.none(), label="Send from")
    phone = forms.CharField(
        label="Customer's number",
        max_length=40,
        help_text="With the country code, for example +44 7700 900123.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    field_order = ["sender", "phone", "body", "idempotency_key"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = usable_sender_ids(user)
        self.fields["body"].widget.attrs["placeholder"] = "First message"

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Private note",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Only your team sees this…"}),
        max_length=5000,
        strip=True,
    )


class ContactForm(forms.Form):
    """Name, email, labels and custom fields of a contact (F-CT1, F-CT2).

    Custom fields come as numbered pairs ``field_name_N`` / ``field_value_N``: one per
    existing value plus an empty pair to add a new one. Clearing a value removes the field.
    """

    display_name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(label="Email", required=False)
    labels = forms.CharField(
        label="Labels", required=False, max_length=500, help_text="Separated by commas."
    )

    def __init__(self, *args, contact: Contact, **kwargs):
        values = list(contact_with_details(contact).field_values.all())
        kwargs.setdefault(
            "initial",
            {
                "display_name": contact.display_name,
                "email": contact.email,
                "labels": ", ".join(label.name for label in contact.labels.all()),
            },
        )
        super().__init__(*args, **kwargs)
        if self.is_bound:
            rows = sum(1 for key in self.data if key.startswith("field_name_"))
        else:
            rows = len(values) + 1
        for i in range(rows):
            current = values[i] if not self.is_bound and i < len(values) else None
            self.fields[f"field_name_{i}"] = forms.CharField(
                label="Field name",
                required=False,
                max_length=50,
                validators=[validate_slug],
                initial=current.field.name if current else "",
            )
            self.fields[f"field_value_{i}"] = forms.CharField(
                label="Value",
                required=False,
                max_length=500,
                initial=current.value if current else "",
            )
        self.row_count = rows

    def field_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"field_name_{i}"], self[f"field_value_{i}"]) for i in range(self.row_count)]

    def clean_labels(self) -> list[str]:
        names: dict[str, str] = {}
        for raw in self.cleaned_data["labels"].split(","):
            name = raw.strip()
            if len(name) > 50:
                raise forms.ValidationError(f"“{name[:20]}…” is too long for a label (50 at most).")
            if name:
                names.setdefault(name.lower(), name)
        return list(names.values())

    def clean(self) -> dict:
        cleaned = super().clean()
        fields: dict[str, str] = {}
        for i in range(self.row_count):
            name = (cleaned.get(f"field_name_{i}") or "").strip()
            value = (cleaned.get(f"field_value_{i}") or "").strip()
            if f"field_name_{i}" in self.errors:
                continue
            if not name:
                if value:
                    self.add_error(f"field_name_{i}", "Give this value a field name.")
                continue
            if name in fields:
                self.add_error(f"field_name_{i}", f"“{name}” appears twice.")
                continue
            if value:
                fields[name] = value
        cleaned["custom_fields"] = fields
        return cleaned

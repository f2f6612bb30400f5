import uuid

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.functional import cached_property

from .access import usable_sender_ids
from .channels import typed_channels
from .media_types import UploadRefused, uploads_check
from .models import Channel, Contact, CustomField, Organisation, SenderId, User
from .phone import EXAMPLE_NUMBER, InvalidPhoneNumber, normalise_phone, region_choices
from .selectors.window import contact_with_details
from .services.contacts import field_key
from .services.saved_replies import placeholders_in
from .services.sending import too_long


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def offer_senders(field: forms.ModelChoiceField, senders, *, prompt: str) -> None:
    """Fill a sender ID select for starting a conversation with a typed address (only
    sender IDs of ``typed_channels``): with ``prompt`` as its empty choice instead of
    Django's "---------", or, when the user has only one sender ID, with that one chosen.
    ``field.offered`` says whether there is any (the page explains when there is none)."""
    senders = senders.filter(channel__in=typed_channels())
    field.queryset = senders
    first = list(senders[:2])
    field.offered = bool(first)
    if len(first) == 1:
        value = getattr(first[0], field.to_field_name or "pk")
        field.empty_label = None
        field.initial = value
        # The one option is known: the select need not ask the database for it again.
        field.widget.choices = [(value, field.label_from_instance(first[0]))]
    else:
        field.empty_label = prompt


class ComposeForm(forms.Form):
    # No max_length: a text over the limit is kept as typed and gets one error, from clean().
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a reply…"}),
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
        try:
            uploads_check(media)
        except UploadRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        if problem := too_long(cleaned.get("body", "")):
            self.add_error("body", problem)
        elif not cleaned.get("body") and not media:
            raise forms.ValidationError("Write a message or attach a file before sending.")
        unfilled = placeholders_in(cleaned.get("body") or "")
        if unfilled:
            names = ", ".join("{{" + key + "}}" for key in unfilled)
            raise forms.ValidationError(f"Fill in {names} before sending.")
        cleaned["media"] = media
        return cleaned


class NewConversationForm(ComposeForm):
    """Sender, the customer (a contact picked by name, or a number) and the first message.

    A number typed without its country code is read in ``country`` (by default the
    organisation's region), so ``07911 123456`` with GB is +44 7911 123456.
    """

    sender = forms.ModelChoiceField(queryset=SenderId.objects.none(), label="Send from")
    phone = forms.CharField(
        label="To",
        max_length=100,
        help_text=f"A contact's name, or a number, for example {EXAMPLE_NUMBER}.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "placeholder": "Name or number",
                "hx-get": reverse_lazy("inbox:contact_suggest"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#contact-suggestions",
                "hx-include": "this",
                "aria-controls": "contact-suggestions",
            }
        ),
    )
    country = forms.ChoiceField(
        label="Country of the number",
        required=False,
        choices=[("", "Typed with its country code (+…)"), *region_choices()],
        help_text="For a number typed without its country code.",
    )
    field_order = ["sender", "phone", "country", "body", "idempotency_key"]

    def __init__(self, *args, user: User, region: str = "", **kwargs):
        kwargs.setdefault("initial", {}).setdefault("country", region)
        super().__init__(*args, **kwargs)
        offer_senders(self.fields["sender"], usable_sender_ids(user), prompt="Choose a sender ID")
        self.fields["body"].widget.attrs["placeholder"] = "First message"

    def clean(self) -> dict:
        cleaned = super().clean()
        raw = cleaned.get("phone")
        if raw:
            if not any(ch.isdigit() for ch in raw):
                self.add_error("phone", "Pick a contact from the suggestions, or type a number.")
                return cleaned
            try:
                cleaned["phone"] = normalise_phone(raw, region=cleaned.get("country") or None)
            except InvalidPhoneNumber as exc:
                self.add_error("phone", str(exc))
        return cleaned


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
    existing value plus an empty pair to add a new one. A field name is a label ("Order
    ID"); its key (``order_id``) is derived. Clearing a value removes the field. Only what
    the request carries is changed: a detail left out of the form is kept as it is.
    """

    display_name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(label="Email", required=False)
    labels = forms.CharField(
        label="Labels", required=False, max_length=500, help_text="Separated by commas."
    )

    def __init__(self, *args, contact: Contact | None, **kwargs):
        values = list(contact_with_details(contact).field_values.all()) if contact else []
        if contact is not None:
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
            for name in ("display_name", "email", "labels"):
                if name not in self.data:
                    del self.fields[name]
            rows = sum(1 for key in self.data if key.startswith("field_name_"))
        else:
            rows = len(values) + 1
        for i in range(rows):
            current = values[i] if not self.is_bound and i < len(values) else None
            self.fields[f"field_name_{i}"] = forms.CharField(
                label="Field name",
                required=False,
                max_length=50,
                initial=str(current.field) if current else "",
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

    @cached_property
    def field_labels(self) -> list[str]:
        """Every custom field's label, offered when naming a field (one query)."""
        return [str(field) for field in CustomField.objects.order_by("name")]

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
        keys: set[str] = set()
        for i in range(self.row_count):
            name = (cleaned.get(f"field_name_{i}") or "").strip()
            value = (cleaned.get(f"field_value_{i}") or "").strip()
            if f"field_name_{i}" in self.errors:
                continue
            if not name:
                if value:
                    self.add_error(f"field_name_{i}", "Give this value a field name.")
                continue
            key = field_key(name)
            if not key:
                self.add_error(f"field_name_{i}", f"“{name}” needs a letter or a digit.")
                continue
            if key in keys:
                self.add_error(f"field_name_{i}", f"“{name}” appears twice.")
                continue
            keys.add(key)
            fields[name] = value
        cleaned["custom_fields"] = fields
        return cleaned

    def changes(self) -> dict:
        """The service's keyword arguments for what was submitted."""
        data = self.cleaned_data
        submitted = {
            name: data[name] for name in ("display_name", "email", "labels") if name in data
        }
        return submitted | {"custom_fields": data["custom_fields"]}


class NewContactForm(ContactForm):
    """A contact created from the contacts page: its number, then what ContactForm holds."""

    phone = forms.CharField(
        label="Phone number",
        max_length=40,
        help_text=f"With the country code, for example {EXAMPLE_NUMBER}.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    field_order = ["phone", "display_name", "email", "labels"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, contact=None, **kwargs)

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"], region=Organisation.load().region)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc

    def changes(self) -> dict:
        return super().changes() | {"phone_e164": self.cleaned_data["phone"]}


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=100)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=settings.MESSAGE_MAX_LENGTH,
        help_text="Placeholders: {{name}}, {{first_name}}, {{phone}}, {{email}}, {{agent_name}} "
        "and any custom field by its key, such as {{order_id}}.",
    )
    channel = forms.ChoiceField(
        label="Offered on",
        required=False,
        choices=[("", "Every channel"), *Channel.choices],
    )
    shared = forms.BooleanField(
        label="Shared with everyone (admins only)", required=False, initial=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_admin:
            del self.fields["shared"]


class MissingValuesForm(forms.Form):
    """The values a chosen saved reply needs and the contact has none for, one required
    field per placeholder key (``missing`` is ``(key, label)`` pairs)."""

    prefix = "value"

    def __init__(self, *args, missing: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in missing:
            self.fields[key] = forms.CharField(
                label=label,
                max_length=500,
                error_messages={"required": f"Fill in {label} to insert the reply."},
            )

"""A contact's details and a new contact (the contacts manager and the window's panel)."""

from django import forms
from django.utils.functional import cached_property

from ..models import Contact, CustomField, Organisation
from ..pure.phone import EXAMPLE_NUMBER, InvalidPhoneNumber, normalise_phone
from ..selectors.window import contact_with_details
from ..services.contacts import field_key


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

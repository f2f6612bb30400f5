import uuid

from django import forms
from django.conf import settings

from .access import usable_sender_ids
from .models import SenderId, User
from .phone import InvalidPhoneNumber, normalise_phone


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class ComposeForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a reply…"}),
        max_length=settings.MESSAGE_MAX_LENGTH,
        strip=True,
    )
    # One key per rendered form: a double click or a resubmission sends once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)


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

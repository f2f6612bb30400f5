"""The compose box, the new-conversation page and private notes."""

import uuid

from django import forms
from django.urls import reverse_lazy

from ..access import usable_sender_ids
from ..channels import typed_channels
from ..models import SenderId, User
from ..pure.media_types import UploadRefused, uploads_check
from ..pure.phone import EXAMPLE_NUMBER, InvalidPhoneNumber, normalise_phone, region_choices
from ..services.saved_replies import placeholders_in
from ..services.sending import too_long


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


def one_line(value: str) -> str:
    """A subject as one line: line breaks and runs of blanks made one space."""
    return " ".join(value.split())


class ComposeForm(forms.Form):
    # An e-mail conversation's compose box offers it (blank: the thread's subject); the
    # view ignores it on channels without subjects.
    subject = forms.CharField(required=False, max_length=300)
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
        cleaned["subject"] = one_line(cleaned.get("subject") or "")
        unfilled = placeholders_in(f"{cleaned['subject']} {cleaned.get('body') or ''}")
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
        del self.fields["subject"]  # a conversation is started on a channel without one
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

"""Saved replies, and the values a chosen reply still needs."""

from django import forms
from django.conf import settings

from ..models import Channel, User

SUBJECT_HELP = (
    "E-mail only: the subject of the mail, with placeholders as in the text (blank: the "
    "thread's, “Re: …”). Other channels ignore it."
)


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=100)
    subject = forms.CharField(required=False, max_length=300, help_text=SUBJECT_HELP)
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

"""The campaign form: parsed here, decided by ``campaigns.services``."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from inbox.models import Channel, Label, User, WhatsAppTemplate

from .audience import field_choices
from .models import Campaign
from .services import campaign_sender_ids

FIXED = "__fixed__"


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    senders = forms.ModelMultipleChoiceField(
        queryset=None,
        label="Sender IDs",
        help_text="Several spread the sends; a contact already talking with one keeps it.",
        widget=forms.CheckboxSelectMultiple,
    )
    labels = forms.ModelMultipleChoiceField(
        queryset=Label.objects.order_by("name"),
        required=False,
        help_text="Contacts with any of these labels; none: every contact.",
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.ChoiceField(choices=Campaign.Consent.choices, required=False)
    last_contact_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        label="Last contact within (days)",
        help_text="Blank: whenever.",
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="SMS text",
        help_text="Placeholders such as {{name}} or a custom field's name are filled per contact.",
    )
    template = forms.ModelChoiceField(
        queryset=WhatsAppTemplate.objects.filter(approval=WhatsAppTemplate.Approval.APPROVED),
        required=False,
        label="WhatsApp template",
        help_text="Approved templates only.",
    )
    starts_at = forms.DateTimeField(
        required=False,
        label="Start at",
        help_text="Blank: as soon as it is launched. Your time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    replies_to_owner = forms.BooleanField(
        required=False,
        initial=True,
        label="Replies go to me",
        help_text="Otherwise by each sender ID's usual routing.",
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["senders"].queryset = campaign_sender_ids(user)
        # A new template brings its variables' rows (the rest of the form keeps its own).
        self.fields["template"].widget.attrs.update(
            {
                "hx-post": reverse("campaigns:estimate"),
                "hx-target": "#variables",
                "hx-select": "#variables",
                "hx-swap": "outerHTML",
            }
        )
        self.variables: dict = {}

    def clean(self) -> dict:
        data = super().clean()
        senders = data.get("senders") or []
        channels = {s.channel for s in senders}
        if len(channels) > 1:
            raise ValidationError("Choose sender IDs of one channel: SMS or WhatsApp.")
        data["channel"] = channels.pop() if channels else Channel.SMS
        template = data.get("template")
        if data["channel"] == Channel.WHATSAPP:
            if template is None:
                self.add_error("template", "A WhatsApp campaign sends an approved template.")
            else:
                self.variables = variables_from(self.data, template)
            data["body"] = ""
        else:
            if not (data.get("body") or "").strip():
                self.add_error("body", "Write the text of the SMS.")
            data["template"] = None
        return data


def variables_from(post, template: WhatsAppTemplate) -> dict:
    """Each variable's source from the form: ``var_field_1`` (a field, or FIXED) and
    ``var_value_1`` (the fixed value)."""
    known = {name for name, _ in field_choices()}
    mapping = {}
    for variable in template.variables:
        field = post.get(f"var_field_{variable}", "")
        value = (post.get(f"var_value_{variable}") or "").strip()[:500]
        if field in known:
            mapping[variable] = {"field": field}
        elif value:
            mapping[variable] = {"value": value}
    return mapping


def initial_of(campaign: Campaign) -> dict:
    return {
        "name": campaign.name,
        "senders": list(campaign.senders.all()),
        "labels": list(campaign.labels.all()),
        "consent": campaign.consent,
        "last_contact_days": campaign.last_contact_days,
        "body": campaign.body,
        "template": campaign.template,
        "starts_at": campaign.starts_at,
        "replies_to_owner": campaign.replies_to_owner,
    }

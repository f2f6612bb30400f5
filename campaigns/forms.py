"""The campaign form: parsed here, decided by ``campaigns.services``."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from inbox.models import Channel, ContactImport, Label, User, WhatsAppTemplate

from .audience import OPERATORS, TAKES_VALUE, custom_field_choices, field_choices
from .models import Campaign
from .services import campaign_lists, campaign_sender_ids

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
    contact_list = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Uploaded list",
        empty_label="Any contact",
        help_text="Only the contacts of a CSV imported in Contacts → Import (new, updated or "
        "matched by its rows).",
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
        self.fields["contact_list"].queryset = campaign_lists(user)
        self.fields["contact_list"].label_from_instance = list_label
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
        self.conditions: list[dict] = []

    def clean(self) -> dict:
        data = super().clean()
        self.conditions, complete = conditions_from(self.data)
        if not complete:
            self.add_error(None, "Give each condition that compares a value the value.")
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


# Condition rows the form offers (the filled ones, then blanks up to this many).
CONDITION_ROWS = 3


def list_label(contact_import: ContactImport) -> str:
    done = contact_import.finished_at or contact_import.created_at
    rows = contact_import.created_count + contact_import.updated_count
    return f"{contact_import.file_name or 'Upload'} · {done:%d %b %Y} · about {rows:,} changed"


def conditions_from(post) -> tuple[list[dict], bool]:
    """The custom-field conditions of the form (``cond_field_0``, ``cond_op_0``,
    ``cond_value_0``…; a row without a known field or operator is blank), and whether each
    one that compares a value has it."""
    known = {name for name, _ in custom_field_choices()}
    conditions, complete = [], True
    for i in range(CONDITION_ROWS):
        field = post.get(f"cond_field_{i}", "")
        op = post.get(f"cond_op_{i}", "")
        value = (post.get(f"cond_value_{i}") or "").strip()[:500]
        if field not in known or op not in OPERATORS:
            continue
        if op in TAKES_VALUE and not value:
            complete = False
            continue
        conditions.append({"field": field, "op": op, "value": value if op in TAKES_VALUE else ""})
    return conditions, complete


def condition_rows(conditions: list[dict]) -> list[dict]:
    """The rows the form shows: each condition, then blanks up to ``CONDITION_ROWS``."""
    blanks = [{"field": "", "op": "", "value": ""}] * (CONDITION_ROWS - len(conditions))
    return [{"index": i, **c} for i, c in enumerate([*conditions, *blanks][:CONDITION_ROWS])]


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
        "contact_list": campaign.contact_list,
        "body": campaign.body,
        "template": campaign.template,
        "starts_at": campaign.starts_at,
        "replies_to_owner": campaign.replies_to_owner,
    }

"""The rule and macro forms: one field per condition and per action, turned into the stored
dict and list (``conditions``, ``actions``) and back."""

from django import forms
from django.db.models import Q

from inbox.happenings import Happening
from inbox.models import Channel, Conversation, SavedReply, SenderId, Team, User
from inbox.selectors.templates import approved_templates
from inbox.services.labels import LabelRefused, label_name_clean

from .conditions import WAITING
from .models import EVENTS, UNANSWERED
from .public_http import Blocked
from .webhooks import webhook_url_clean

HOURS = [("", "Any time"), ("open", "Business hours open"), ("closed", "Business hours closed")]
STATUSES = [("", "Any status"), *Conversation.Status.choices]
SET_STATUS = [("", "Leave as it is"), ("closed", "Close"), ("open", "Reopen")]
WORDS_MODE = [("any", "any of the words"), ("all", "all of the words")]


def _user_label(user: User) -> str:
    return str(user)


class ActionsForm(forms.Form):
    """The actions, done in the order the fields are listed."""

    add_label = forms.CharField(required=False, max_length=50, label="Add the label")
    remove_label = forms.CharField(required=False, max_length=50, label="Remove the label")
    assign_user = forms.ModelChoiceField(
        User.objects.filter(is_active=True).order_by("first_name", "username"),
        required=False,
        label="Assign to",
    )
    assign_team = forms.ModelChoiceField(
        Team.objects.order_by("name"), required=False, label="Hand to the team"
    )
    round_robin = forms.ModelChoiceField(
        Team.objects.order_by("name"), required=False, label="Assign round robin in the team"
    )
    note = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Add a private note",
        help_text="@username mentions a teammate.",
    )
    reply = forms.ModelChoiceField(
        SavedReply.objects.none(), required=False, label="Send the saved reply"
    )
    template = forms.ModelChoiceField(
        approved_templates(),
        required=False,
        label="Send the WhatsApp template",
        help_text="Its variables come from the contact, as the template maps them.",
    )
    set_status = forms.ChoiceField(choices=SET_STATUS, required=False, label="Status")
    snooze_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=60 * 24 * 30, label="Snooze for (minutes)"
    )

    webhook_url = forms.CharField(
        required=False,
        max_length=500,
        label="Call the webhook (URL)",
        help_text="A signed JSON POST; public addresses only.",
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        replies = SavedReply.objects.filter(owner__isnull=True)
        if not self.is_rule:
            replies = SavedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user))
        self.fields["reply"].queryset = replies.order_by("title")
        self.fields["assign_user"].label_from_instance = _user_label

    is_rule = False
    ACTIONS = (
        "add_label",
        "remove_label",
        "assign_user",
        "assign_team",
        "round_robin",
        "note",
        "reply",
        "template",
        "set_status",
        "snooze_minutes",
        "webhook_url",
    )

    def action_fields(self) -> list:
        return [self[name] for name in self.ACTIONS]

    def clean_add_label(self) -> str:
        return self._label("add_label")

    def clean_remove_label(self) -> str:
        return self._label("remove_label")

    def _label(self, name: str) -> str:
        raw = self.cleaned_data.get(name, "")
        if not raw.strip():
            return ""
        try:
            return label_name_clean(raw)
        except LabelRefused as refused:
            raise forms.ValidationError(str(refused)) from refused

    def clean_webhook_url(self) -> str:
        raw = self.cleaned_data.get("webhook_url", "").strip()
        if not raw:
            return ""
        try:
            return webhook_url_clean(raw)
        except Blocked as blocked:
            raise forms.ValidationError(str(blocked).capitalize() + ".") from blocked

    def clean(self):
        data = super().clean()
        if sum(bool(data.get(n)) for n in ("assign_user", "assign_team", "round_robin")) > 1:
            raise forms.ValidationError("Assign one way: to a person, a team or round robin.")
        if not self.errors and not self.actions():
            raise forms.ValidationError("Choose at least one action.")
        return data

    def actions(self) -> list[dict]:
        d = self.cleaned_data
        found = [
            ("add_label", {"label": d.get("add_label")}),
            ("remove_label", {"label": d.get("remove_label")}),
            ("assign", {"user": d["assign_user"].pk} if d.get("assign_user") else None),
            ("assign_team", {"team": d["assign_team"].pk} if d.get("assign_team") else None),
            ("round_robin", {"team": d["round_robin"].pk} if d.get("round_robin") else None),
            ("note", {"body": (d.get("note") or "").strip()}),
            ("reply", {"reply": d["reply"].pk} if d.get("reply") else None),
            ("template", {"template": d["template"].pk} if d.get("template") else None),
            ("status", {"status": d.get("set_status")}),
            ("snooze", {"minutes": d.get("snooze_minutes")}),
            ("webhook", {"url": d.get("webhook_url")}),
        ]
        return [{"do": do, **value} for do, value in found if value and all(value.values())]

    @staticmethod
    def initial_from(actions: list[dict]) -> dict:
        initial: dict = {}
        for action in actions:
            do = action.get("do")
            if do in ("add_label", "remove_label"):
                initial[do] = action.get("label")
            elif do == "assign":
                initial["assign_user"] = action.get("user")
            elif do in ("assign_team", "round_robin"):
                initial[do] = action.get("team")
            elif do == "note":
                initial["note"] = action.get("body")
            elif do == "reply":
                initial["reply"] = action.get("reply")
            elif do == "template":
                initial["template"] = action.get("template")
            elif do == "status":
                initial["set_status"] = action.get("status")
            elif do == "snooze":
                initial["snooze_minutes"] = action.get("minutes")
            elif do == "webhook":
                initial["webhook_url"] = action.get("url")
        return initial


class RuleForm(ActionsForm):
    is_rule = True
    field_order = ["name", "event", "position", "is_active"]

    name = forms.CharField(max_length=100)
    event = forms.ChoiceField(choices=EVENTS, label="When")
    after_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=60 * 24 * 7,
        label="N minutes",
        help_text="For “Nobody has answered”: minutes since the first unanswered message.",
    )
    position = forms.IntegerField(min_value=0, max_value=10_000, initial=0, label="Order")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    channel = forms.ChoiceField(
        choices=[("", "Any channel"), *Channel.choices], required=False, label="Channel"
    )
    sender = forms.ModelChoiceField(
        SenderId.objects.filter(is_active=True).order_by("label"),
        required=False,
        label="Sender ID",
    )
    team = forms.ModelChoiceField(Team.objects.order_by("name"), required=False, label="Team")
    hours = forms.ChoiceField(choices=HOURS, required=False, label="Business hours")
    status = forms.ChoiceField(choices=STATUSES, required=False, label="Conversation status")
    waiting = forms.ChoiceField(choices=WAITING, required=False, label="Waiting state")
    contact_label = forms.CharField(required=False, max_length=50, label="Contact has the label")
    field = forms.CharField(required=False, max_length=50, label="Custom field (key)")
    field_value = forms.CharField(required=False, max_length=500, label="…has the value")
    words = forms.CharField(
        required=False, max_length=300, label="Message text contains", help_text="Words, spaced."
    )
    words_mode = forms.ChoiceField(choices=WORDS_MODE, required=False, initial="any", label="")

    CONDITIONS = (
        "channel",
        "sender",
        "team",
        "hours",
        "status",
        "waiting",
        "contact_label",
        "field",
        "field_value",
        "words",
    )

    def rule_fields(self) -> list:
        return [self[name] for name in ("name", "event", "after_minutes", "position", "is_active")]

    def condition_fields(self) -> list:
        return [self[name] for name in (*self.CONDITIONS, "words_mode")]

    def conditions(self) -> dict:
        d = self.cleaned_data
        found = {}
        for key in self.CONDITIONS:
            value = d.get(key)
            if hasattr(value, "pk"):
                value = value.pk
            elif isinstance(value, str):
                value = value.strip()
            if value:
                found[key] = value
        if found.get("words"):
            found["words_mode"] = d.get("words_mode") or "any"
        return found

    @classmethod
    def initial_for(cls, rule) -> dict:
        return {
            "name": rule.name,
            "event": rule.event,
            "after_minutes": rule.after_minutes or None,
            "position": rule.position,
            "is_active": rule.is_active,
            **rule.conditions,
            **cls.initial_from(rule.actions),
        }

    def clean_after_minutes(self) -> int:
        minutes = self.cleaned_data.get("after_minutes")
        if self.cleaned_data.get("event") == UNANSWERED and not minutes:
            raise forms.ValidationError("Say after how many minutes without an answer.")
        return minutes or 0


class MacroForm(ActionsForm):
    field_order = ["name", "shared"]

    name = forms.CharField(max_length=100)
    shared = forms.BooleanField(required=False, label="Shared with everyone")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if not user.is_admin:
            del self.fields["shared"]


class SubscriptionForm(forms.Form):
    url = forms.CharField(max_length=500, label="URL", help_text="Public addresses only.")
    events = forms.MultipleChoiceField(
        choices=Happening.choices, widget=forms.CheckboxSelectMultiple, label="Events"
    )

    def clean_url(self) -> str:
        try:
            return webhook_url_clean(self.cleaned_data["url"])
        except Blocked as blocked:
            raise forms.ValidationError(str(blocked).capitalize() + ".") from blocked

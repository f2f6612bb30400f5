"""Forms of the business hours settings page (F-CP4, F-AU2)."""

import re

from django import forms

from ..models import AutoReplyMode, Holiday, HoursMode, Organisation, SenderId
from ..models.people import TIME_ZONE_CHOICES
from ..services.business_hours import (
    WEEKDAYS,
    format_intervals,
    parse_intervals,
    week_from_json,
    week_to_json,
)
from .widgets import ZoneSelect

PLACEHOLDER = re.compile(r"{{\s*(\w*)\s*}}")
DAY_HELP = "e.g. 09:00-12:30, 13:30-18:00; empty: closed"


def _reply_text(text: str, *, may_use_opens_at: bool) -> str:
    """An auto-reply with ``{{opens_at}}`` written one way; anything else in braces refused."""
    for name in PLACEHOLDER.findall(text):
        if name != "opens_at" or not may_use_opens_at:
            allowed = "Only {{opens_at}} can be filled in." if may_use_opens_at else ""
            raise forms.ValidationError(f"{{{{{name}}}}} cannot be filled in. {allowed}".strip())
    return PLACEHOLDER.sub("{{opens_at}}", text.strip())


class WeekForm(forms.Form):
    """Seven fields, Monday to Sunday, each a list of intervals; ``week`` is the stored JSON."""

    def __init__(self, *args, week: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        intervals = week_from_json(week)
        for day, name in enumerate(WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=name,
                required=False,
                max_length=200,
                initial=format_intervals(intervals.get(day, ())),
                widget=forms.TextInput(attrs={"placeholder": "closed", "title": DAY_HELP}),
            )

    @property
    def day_fields(self) -> list:
        return [self[f"day_{day}"] for day in range(7)]

    def clean(self) -> dict:
        cleaned = super().clean()
        week = {}
        for day in range(7):
            try:
                week[day] = parse_intervals(cleaned.get(f"day_{day}", ""))
            except ValueError as error:
                self.add_error(f"day_{day}", str(error))
        cleaned["week"] = week_to_json(week)
        return cleaned

    def clean_out_of_hours_reply(self) -> str:
        return _reply_text(self.cleaned_data["out_of_hours_reply"], may_use_opens_at=True)

    def clean_greeting(self) -> str:
        return _reply_text(self.cleaned_data["greeting"], may_use_opens_at=False)


REPLY_HELP = "Sent when a customer writes while closed, once until the hours open. Empty: none."
GREETING_HELP = "Sent to a customer's very first message. Empty: none."


def _reply_fields() -> tuple[forms.CharField, forms.CharField]:
    return (
        forms.CharField(
            label="Out-of-hours reply",
            required=False,
            max_length=1000,
            help_text=REPLY_HELP + " {{opens_at}} becomes the opening time, e.g. Monday 09:00.",
            widget=forms.Textarea(attrs={"rows": 2}),
        ),
        forms.CharField(
            label="First-contact greeting",
            required=False,
            max_length=1000,
            help_text=GREETING_HELP,
            widget=forms.Textarea(attrs={"rows": 2}),
        ),
    )


class OrganisationHoursForm(WeekForm):
    hours_enabled = forms.BooleanField(
        label="Keep business hours (off: open around the clock)", required=False
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=TIME_ZONE_CHOICES, widget=ZoneSelect)
    out_of_hours_reply, greeting = _reply_fields()

    def __init__(self, *args, organisation: Organisation, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "hours_enabled": organisation.hours_enabled,
                "time_zone": organisation.time_zone,
                "out_of_hours_reply": organisation.out_of_hours_reply,
                "greeting": organisation.greeting,
            },
        )
        super().__init__(*args, week=organisation.opening_hours, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("hours_enabled") and not self.errors and not cleaned["week"]:
            raise forms.ValidationError(
                "Give at least one opening time, or switch business hours off."
            )
        return cleaned


class SenderHoursForm(WeekForm):
    hours = forms.ChoiceField(label="Hours", choices=HoursMode.choices)
    hours_time_zone = forms.ChoiceField(
        label="Time zone (its own hours)", choices=TIME_ZONE_CHOICES, widget=ZoneSelect
    )
    auto_replies = forms.ChoiceField(label="Auto-replies", choices=AutoReplyMode.choices)
    out_of_hours_reply, greeting = _reply_fields()

    def __init__(self, *args, sender: SenderId, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "hours": sender.hours,
                "hours_time_zone": sender.hours_time_zone,
                "auto_replies": sender.auto_replies,
                "out_of_hours_reply": sender.out_of_hours_reply,
                "greeting": sender.greeting,
            },
        )
        super().__init__(*args, week=sender.opening_hours, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("hours") == HoursMode.OWN and not self.errors and not cleaned["week"]:
            raise forms.ValidationError("Give its own hours at least one opening time.")
        return cleaned


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name", "recurring"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}
        labels = {"recurring": "Every year"}

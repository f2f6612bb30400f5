"""The profile page's time zone form (its password form is Django's PasswordChangeForm)."""

from django import forms

from ..services.profile import TIME_ZONES
from .widgets import ZoneSelect


class TimeZoneForm(forms.Form):
    # A CharField with a select, not a ChoiceField: a name that is no time zone gets our
    # message, which names it, instead of "Select a valid choice".
    time_zone = forms.CharField(
        label="Your time zone",
        max_length=64,
        widget=ZoneSelect(),
        help_text="Every time Converse shows you is in this zone.",
    )

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if name not in TIME_ZONES:
            raise forms.ValidationError(
                f"“{name}” is not a time zone Converse knows. Choose one from the list, "
                "such as Europe/London or America/New_York."
            )
        return name

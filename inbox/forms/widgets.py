"""Form widgets drawn in Python where Django's per-option templates are too slow."""

from functools import cache
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe

from ..models.people import TIME_ZONE_CHOICES


@cache
def _zone_options() -> str:
    return "".join(
        f'<option value="{escape(value)}">{escape(label)}</option>'
        for value, label in TIME_ZONE_CHOICES
    )


class ZoneSelect(forms.Select):
    """The select of every time zone (about 600 options): Django's widget renders each
    option through a template, which cost more than the rest of the profile page together;
    the options are built once, and the chosen one marked."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=TIME_ZONE_CHOICES)

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = f'<option value="{escape(str(value or ""))}">'
        options = _zone_options().replace(chosen, chosen[:-1] + " selected>", 1)
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attrs}>{options}</select>')

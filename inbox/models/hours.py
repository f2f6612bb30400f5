"""Business hours (F-CP4) and automatic replies (F-AU2): what the organisation and each
sender ID are configured with. The rules that read them live in
``inbox.services.business_hours`` (open or closed, next opening, open time between two
instants) and ``inbox.services.auto_replies``.

A week is stored as JSON, ``{"0": [["09:00", "12:30"], ["13:30", "18:00"]], …}``: weekday
(Monday 0) to its opening intervals in local wall-clock time. A closing time of ``00:00``
means midnight at the end of the day.
"""

from django.db import models

from .ids import new_public_id


class HoursMode(models.TextChoices):
    ORGANISATION = "organisation", "The organisation's hours"
    ALWAYS = "always", "Open 24/7"
    OWN = "own", "Its own hours"


class AutoReplyMode(models.TextChoices):
    ORGANISATION = "organisation", "The organisation's auto-replies"
    OFF = "off", "No auto-replies"
    OWN = "own", "Its own auto-replies"


class Holiday(models.Model):
    """A day the organisation is closed, on every schedule but a 24/7 one."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    date = models.DateField()
    name = models.CharField(max_length=100)
    # Closed on this day and month every year (1 January, 25 December…).
    recurring = models.BooleanField(default=False, help_text="Closed on this date every year.")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["date"], name="one_holiday_per_date")]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%d %b}{'' if self.recurring else f' {self.date:%Y}'})"

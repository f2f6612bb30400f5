import re

from django.db import models

_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class WhatsAppTemplate(models.Model):
    """A registered WhatsApp template (Twilio Content API), copied locally per content SID.

    The provider holds the truth; ``template_sync`` refreshes this copy. Only approved
    templates are offered to agents.
    """

    class Approval(models.TextChoices):
        APPROVED = "approved", "Approved"
        PENDING = "pending", "Pending"
        REJECTED = "rejected", "Rejected"
        PAUSED = "paused", "Paused"
        DISABLED = "disabled", "Disabled"
        UNSUBMITTED = "unsubmitted", "Not submitted"

    content_sid = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    language = models.CharField(max_length=16, blank=True)
    body = models.TextField()
    # The provider's default (sample) value of each variable: {"1": "Jane"}.
    default_values = models.JSONField(default=dict, blank=True)
    # Which contact field fills a variable: {"1": "name"} or a custom field's name.
    variable_fields = models.JSONField(default=dict, blank=True)
    category = models.CharField(max_length=40, blank=True)
    approval = models.CharField(
        max_length=16, choices=Approval.choices, default=Approval.UNSUBMITTED
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "WhatsApp template"
        ordering = ["name", "language"]
        indexes = [models.Index(fields=["approval", "name"], name="template_approval_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})" if self.language else self.name

    @property
    def variables(self) -> list[str]:
        """The body's variable names in order of first use: ["1", "2"]."""
        return list(dict.fromkeys(_VARIABLE.findall(self.body)))

    def render(self, values: dict[str, str]) -> str:
        """The text the customer sees, with each variable replaced by its value."""
        return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), self.body)

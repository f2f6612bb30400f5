"""Reads for the template picker (F-TP2, F-TP3)."""

from django.db.models import Q, QuerySet

from ..models import WhatsAppTemplate

PICKER_SIZE = 20


def approved_templates(*, query: str = "") -> QuerySet[WhatsAppTemplate]:
    """Approved templates whose name or text contains ``query``, by name."""
    qs = WhatsAppTemplate.objects.filter(approval=WhatsAppTemplate.Approval.APPROVED)
    query = query.strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(body__icontains=query))
    return qs.order_by("name", "language")[:PICKER_SIZE]


def registered_template(*, content_sid: str) -> WhatsAppTemplate | None:
    """The template with ``content_sid`` whatever its approval: one picked while approved
    and paused since is shown with the reason it cannot be sent, not as missing."""
    return WhatsAppTemplate.objects.filter(content_sid=content_sid).first()

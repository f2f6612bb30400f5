"""Twilio's Content API: the registered WhatsApp templates and their approval status.

``TWILIO_API_BASE_URL`` points this API too at a Twilio-compatible server (tests).
"""

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException

from channels_twilio.client import send_error_from, twilio_client
from inbox.channels import TemplateData

# Twilio's approval states, as the inbox knows them; anything else reads as not submitted.
_APPROVALS = {"approved", "pending", "rejected", "paused", "disabled"}


def content_templates() -> list[TemplateData]:
    """Every template on the account with its WhatsApp approval; raise SendError on failure."""
    client = twilio_client()
    if settings.TWILIO_API_BASE_URL:
        client.content.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
    try:
        listed = client.content.v1.content_and_approvals.list(page_size=500)
    except (TwilioException, requests.RequestException) as exc:  # a page the SDK could not read
        raise send_error_from(exc) from exc
    return [template_from(item) for item in listed if item.sid]


def template_from(item) -> TemplateData:
    """One ContentAndApprovals entry as the inbox keeps it: the text body, approval status."""
    types = item.types or {}
    body = next((t.get("body", "") for t in types.values() if isinstance(t, dict)), "")
    approval = (item.approval_requests or {}).get("status", "") or ""
    approval = approval.lower()
    if approval == "received":  # submitted, not yet reviewed
        approval = "pending"
    return TemplateData(
        content_sid=item.sid,
        name=item.friendly_name or item.sid,
        language=item.language or "",
        body=body or "",
        default_values={str(k): str(v) for k, v in (item.variables or {}).items()},
        category=((item.approval_requests or {}).get("category") or "").lower(),
        approval=approval if approval in _APPROVALS else "unsubmitted",
    )

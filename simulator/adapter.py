"""The simulator: a provider that behaves like Twilio without leaving the machine (F-CH3)."""

import uuid
from collections.abc import Mapping

from django.conf import settings

from inbox.channels import InboundMessage, SendError, SendResult, StatusUpdate, TemplateData
from inbox.models import Channel, Message
from inbox.services.reply_window import window_is_open

from .numbers import FAILING_NUMBERS
from .templates import DEMO_TEMPLATES


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


class SimulatorAdapter:
    def send(self, message: Message) -> SendResult:
        from .tasks import report_progress

        to = message.conversation.customer_address
        failure = FAILING_NUMBERS.get(to)
        if failure is not None and failure.at_send:
            raise SendError(failure.code, failure.description, transient=False)
        if message.channel == Channel.WHATSAPP:
            _check_whatsapp(message)
        sid = new_sid()
        report_progress.apply_async(
            args=[message.channel, sid, 0], countdown=settings.SIMULATOR_STATUS_DELAY
        )
        return SendResult(provider_sid=sid)

    def parse_inbound(self, params: Mapping[str, str]) -> InboundMessage:
        return InboundMessage(
            channel=params["channel"],
            provider_sid=params.get("sid") or new_sid(),
            from_address=params["from"],
            to_address=params["to"],
            body=params.get("body", ""),
        )

    def parse_status(self, params: Mapping[str, str]) -> StatusUpdate:
        return StatusUpdate(provider_sid=params["sid"], status=params["status"])

    def list_templates(self) -> list[TemplateData]:
        return list(DEMO_TEMPLATES)


def _check_whatsapp(message: Message) -> None:
    """Refuse what WhatsApp refuses: an unknown or unapproved template, or freeform text
    outside the customer-care window (Twilio's 63016)."""
    if message.content_sid:
        approved = {t.content_sid for t in DEMO_TEMPLATES if t.approval == "approved"}
        if message.content_sid not in approved:
            raise SendError("21655", f"unknown content SID {message.content_sid}", transient=False)
    elif not window_is_open(conversation=message.conversation):
        raise SendError("63016", "outside the 24-hour window", transient=False)

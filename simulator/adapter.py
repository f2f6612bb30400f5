"""The simulator: a provider that behaves like Twilio without leaving the machine (F-CH3)."""

import uuid
from collections.abc import Mapping

from django.conf import settings

from inbox.channels import InboundMessage, SendError, SendResult, StatusUpdate
from inbox.models import Message

from .numbers import FAILING_NUMBERS


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


class SimulatorAdapter:
    def send(self, message: Message) -> SendResult:
        from .tasks import report_progress

        to = message.conversation.contact.phone_e164
        failure = FAILING_NUMBERS.get(to)
        if failure is not None and failure.at_send:
            raise SendError(failure.code, failure.description, transient=False)
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

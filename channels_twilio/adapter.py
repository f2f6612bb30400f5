"""The Twilio adapter every Twilio channel extends, and where the shared webhook finds them.

Twilio writes SMS and WhatsApp messages alike; a channel's adapter says its channel and how
Twilio writes its customers' addresses (``whatsapp:+E164``), and adds what only it sends
(WhatsApp's registered templates). Channel apps register their adapter class from their
``AppConfig.ready`` (``register_twilio_adapter``); the webhook's ingest looks it up by the
channel the payload is for.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core import signing
from django.urls import reverse

from inbox.channels import InboundMedia, InboundMessage, SendResult, StatusUpdate
from inbox.models import Attachment, Message
from inbox.pure.storable import storable_text

from . import client
from .client import ProviderMessage

# The salt outbound media URLs were signed with since the SMS app first made them: kept,
# so URLs handed to Twilio before stay valid.
MEDIA_SALT = "channels_sms.media"
# Twilio sends at most ten media files with one message.
MAX_MEDIA = 10
ERROR_CODE_MAX_LENGTH = Message._meta.get_field("error_code").max_length


def media_url(attachment: Attachment) -> str:
    """An absolute, unguessable URL from which Twilio fetches an outbound attachment."""
    token = signing.dumps(attachment.public_id, salt=MEDIA_SALT)
    return settings.PUBLIC_BASE_URL + reverse("channels_twilio:media", args=[token])


def status_callback_url() -> str:
    return settings.PUBLIC_BASE_URL + reverse("channels_twilio:status")


class TwilioAdapter:
    channel: str = ""
    # How Twilio writes the customer's address: bare E.164 for SMS, ``whatsapp:+E164``.
    address_prefix = ""

    def customer_address(self, phone_e164: str) -> str:
        return f"{self.address_prefix}{phone_e164}"

    def send(self, message: Message) -> SendResult:
        """Create the message at Twilio, unless an earlier attempt already did.

        ``attempts`` counts claims: above one, a previous attempt may have reached Twilio
        without us learning the answer (timeout, dead worker), so look it up first.
        """
        conversation = message.conversation
        to = self.customer_address(conversation.customer_address)
        from_ = conversation.sender_id.address
        if message.attempts > 1 and (found := self._sent_before(message, to=to, from_=from_)):
            return SendResult(provider_sid=found.sid, status=found.status)
        created = client.message_create(
            to=to, from_=from_, status_callback=status_callback_url(), **self.content_of(message)
        )
        return SendResult(provider_sid=created.sid, status=created.status)

    def content_of(self, message: Message) -> dict:
        """What the message says, as ``client.message_create`` arguments."""
        return {
            "body": message.body,
            "media_urls": [media_url(a) for a in message.attachments.all()],
        }

    def _sent_before(self, message: Message, *, to: str, from_: str) -> ProviderMessage | None:
        """The provider's message an earlier attempt created, if one did: same addresses and
        words, created since the first attempt started, and not already recorded as another
        of our messages (an agent may send the same words twice)."""
        found = client.messages_matching(
            to=to,
            from_=from_,
            body=message.body,
            since=message.first_dispatch_at or message.created_at,
        )
        if not found:
            return None
        taken = set(
            Message.objects.filter(
                channel=message.channel, provider_sid__in=[f.sid for f in found]
            ).values_list("provider_sid", flat=True)
        )
        return next((f for f in found if f.sid not in taken), None)

    def parse_inbound(self, params: Mapping[str, str]) -> InboundMessage:
        """The message in a webhook's parameters, cleaned of what the database cannot hold."""
        field = _storable_fields(params)
        try:
            count = int(field("NumMedia") or 0)
        except ValueError:
            count = 0
        return InboundMessage(
            channel=self.channel,
            provider_sid=field("MessageSid"),
            from_address=field("From").removeprefix(self.address_prefix),
            to_address=field("To"),
            body=field("Body"),
            media=[
                InboundMedia(url=field(f"MediaUrl{i}"), content_type=field(f"MediaContentType{i}"))
                for i in range(min(count, MAX_MEDIA))
                if field(f"MediaUrl{i}")
            ],
            profile_name=field("ProfileName"),
            opt_out_type=field("OptOutType"),
        )

    def parse_status(self, params: Mapping[str, str]) -> StatusUpdate:
        field = _storable_fields(params)
        return StatusUpdate(
            provider_sid=field("MessageSid"),
            status=field("MessageStatus") or field("SmsStatus"),
            # Twilio's codes are five digits: anything longer is no code of theirs.
            error_code=field("ErrorCode")[:ERROR_CODE_MAX_LENGTH],
        )


def _storable_fields(params: Mapping[str, str]):
    """A getter of ``params``' values ("" when absent), cleaned with ``storable_text``."""
    return lambda name: storable_text(params.get(name) or "")


_ADAPTERS: dict[str, TwilioAdapter] = {}


def register_twilio_adapter(adapter: TwilioAdapter) -> None:
    """Let the shared Twilio webhook parse ``adapter.channel``'s payloads with ``adapter``."""
    _ADAPTERS[adapter.channel] = adapter


def twilio_adapter(channel: str) -> TwilioAdapter:
    return _ADAPTERS[channel]


def twilio_adapter_for_params(params: Mapping[str, str]) -> TwilioAdapter:
    """The adapter of the channel a webhook's addresses are on: the one whose prefix they
    carry (``whatsapp:``), else the one without a prefix (SMS)."""
    address = params.get("From", "") or params.get("To", "")
    prefixed = [a for a in _ADAPTERS.values() if a.address_prefix]
    return next(
        (a for a in prefixed if address.startswith(a.address_prefix)),
        next(a for a in _ADAPTERS.values() if not a.address_prefix),
    )

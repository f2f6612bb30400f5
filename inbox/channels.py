"""The one interface every channel adapter implements, and how the inbox finds them.

The inbox never imports a channel app: it asks ``adapter_for(channel)``, which loads the
class named in ``settings.CONVERSE_CHANNEL_ADAPTERS`` (Twilio when credentials are set,
the simulator otherwise).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Message


@dataclass(frozen=True)
class InboundMedia:
    url: str
    content_type: str


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message, as any channel reports it."""

    channel: str
    provider_sid: str
    from_address: str  # the customer: +E164 (the channel prefix already removed)
    to_address: str  # our sender ID address, as stored on SenderId.address
    body: str = ""
    media: list[InboundMedia] = field(default_factory=list)
    profile_name: str = ""
    # The provider's own opt-out signal (Twilio Advanced Opt-Out): "STOP", "START", "HELP".
    opt_out_type: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    provider_sid: str
    status: str  # the provider's word: queued, sent, delivered, read, failed, undelivered…
    error_code: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    status: str = "queued"


@dataclass(frozen=True)
class TemplateData:
    """A registered template as the provider lists it (WhatsApp: Twilio's Content API)."""

    content_sid: str
    name: str
    language: str
    body: str
    default_values: dict[str, str]
    category: str
    approval: str  # approved, pending, rejected, paused, disabled, unsubmitted


class SendError(Exception):
    """A provider refused or could not take a send.

    ``transient`` errors (network, timeouts, 5xx, rate limits) are retried with back-off;
    the others fail the message at once with ``code`` and its plain-words reason.
    """

    def __init__(self, code: str, detail: str = "", *, transient: bool) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.transient = transient


class ChannelAdapter(Protocol):
    def send(self, message: "Message") -> SendResult:
        """Hand ``message`` to the provider; raise SendError when it is not accepted."""

    def parse_inbound(self, params: Mapping[str, str]) -> InboundMessage:
        """Turn a provider's inbound webhook parameters into an InboundMessage."""

    def parse_status(self, params: Mapping[str, str]) -> StatusUpdate:
        """Turn a provider's status callback parameters into a StatusUpdate."""

    def list_templates(self) -> list[TemplateData]:
        """The provider's registered templates (WhatsApp adapters only)."""


@cache
def _load(path: str) -> ChannelAdapter:
    return import_string(path)()


def adapter_for(channel: str) -> ChannelAdapter:
    return _load(settings.CONVERSE_CHANNEL_ADAPTERS[channel])

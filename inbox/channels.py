"""The one interface every channel implements, and how the inbox finds each channel.

A channel has two parts:

- its **rules** (``ChannelRules``): how a customer's address is written, checked and shown,
  which kind of contact identity it is, what can be sent, whether a reply window closes,
  which receipts it reports. Each channel app registers its rules in its ``AppConfig.ready``
  (``register_channel``); the inbox asks ``channel_rules(channel)``.
- its **adapter** (``ChannelAdapter``): the provider calls (send, parse inbound, parse
  status, list templates). ``adapter_for(channel)`` loads the class named in
  ``settings.CONVERSE_CHANNEL_ADAPTERS`` (Twilio when credentials are set, the simulator
  otherwise): the same rules, another transport.

The inbox never imports a channel app: it looks both up by the sender ID's channel.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
class InboundFile:
    """An attachment that came inside the message itself (e-mail), not behind a URL."""

    name: str
    content_type: str
    content: bytes


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
    subject: str = ""  # an e-mail's
    files: list[InboundFile] = field(default_factory=list)
    # The provider SIDs of the messages this one answers (an e-mail's In-Reply-To and
    # References): its conversation is the one they are in, whoever wrote from where.
    answers: tuple[str, ...] = ()
    # Sent by a machine (an out-of-office, a mailing list): shown in the thread, but it never
    # reopens the conversation, makes the customer wait, or gets an automatic reply.
    automated: bool = False


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


class InvalidAddress(ValueError):
    """An address the channel cannot write to; the message says why, for people."""


class ChannelRules:
    """What a channel allows, independent of the provider that carries it.

    A channel app subclasses this and registers one instance (``register_channel``). The
    inbox asks these, never a channel's name: the send checks (``inbox.services.reply_window``),
    inbound (body length, who the customer is), the compose box and the contact panel.
    Opt-out, consent and business hours are the inbox's own and apply to every channel.
    """

    channel: str = ""
    # The channel's mark beside a conversation or a sender ID in lists ("SMS", "WA").
    short_label: str = ""
    # How the customer's address is called on screen ("Phone", "WhatsApp", "Email").
    address_label: str = "Address"
    # The kind of contact identity a conversation on this channel is with, and the kinds an
    # inbound address finds an existing contact by, in order (WhatsApp finds a customer
    # already known by their phone number).
    identity_kind: str = ""
    finds_kinds: tuple[str, ...] = ()

    # What can be sent. ``text_limit``: the longest body the provider carries in one
    # message (a longer inbound one is cut there). ``media_types``: content types an
    # attachment may have (empty: no attachments); ``media_max_bytes`` each.
    text_limit: int = 1600
    counts_segments: bool = False
    media_types: frozenset[str] = frozenset()
    media_max_bytes: int = 0
    # Whether an agent may start a conversation by typing the customer's address (a web-chat
    # visitor is reached only from their own chat).
    typed_addresses: bool = True
    # Registered templates (a provider-approved first message, with variables).
    templates: bool = False
    # Whether and when replies stop: freeform messages only within this time after the
    # customer's latest message (None: the channel has no window).
    reply_window: timedelta | None = None
    # The statuses the provider reports after "sent" (read receipts only where it has them).
    receipts: frozenset[str] = frozenset()
    # Whether messages carry a subject (e-mail): the thread shows it.
    subjects: bool = False

    def normalise_address(self, address: str, *, region: str = "") -> str:
        """``address`` as stored (E.164 for numbers); InvalidAddress when it is not one."""
        raise NotImplementedError

    def display_address(self, address: str) -> str:
        """``address`` as people read it."""
        return address

    def original_url(self, message: "Message") -> str:
        """Where the whole message as it came can be read ("" where the thread shows it all:
        an e-mail's thread shows its new part only)."""
        return ""

    def segments(self, body: str) -> int:
        """How many billed parts ``body`` goes out as (1 where the channel does not split)."""
        return 1

    def window_closed_reason(self, *, closes_at: datetime | None) -> str:
        """Why a freeform reply is refused now that the window closed at ``closes_at``
        (None: the customer has not written yet)."""
        return "The reply window is closed. Send a registered template to reopen it."

    def held_past_window_reason(self, *, opens_at: str, closes_at: str) -> str:
        """Why a freeform message held for business hours until ``opens_at`` is refused:
        the window closes at ``closes_at``, before it could go."""
        return (
            f"Outside business hours this message would wait until {opens_at}, but the reply "
            f"window closes {closes_at}, before it could go: it would never be delivered."
        )

    def customer_facts(self, conversation) -> list[tuple[str, str]]:
        """What the channel knows of the customer now, as (label, value) pairs for the
        contact panel (web chat: online or last active, the page they are on)."""
        return []

    def compose_notice(self, conversation) -> str:
        """A line above the reply box saying how a reply will reach the customer now
        ("" when it goes the usual way)."""
        return ""


class PhoneNumberRules(ChannelRules):
    """Rules for a channel whose customers are phone numbers (E.164)."""

    def normalise_address(self, address: str, *, region: str = "") -> str:
        """E.164; InvalidPhoneNumber (an InvalidAddress) says what is wrong with it."""
        from .pure.phone import normalise_phone

        return normalise_phone(address, region=region or None)

    def display_address(self, address: str) -> str:
        from .pure.phone import format_phone

        return format_phone(address)


_RULES: dict[str, ChannelRules] = {}


def register_channel(rules: ChannelRules) -> None:
    """Make ``rules`` the inbox's answer for ``rules.channel`` (from an AppConfig.ready)."""
    _RULES[rules.channel] = rules


def channel_rules(channel: str) -> ChannelRules:
    """The registered rules of ``channel``; KeyError names a channel no app registered."""
    try:
        return _RULES[channel]
    except KeyError:
        raise KeyError(f"No channel app registered the channel {channel!r}.") from None


def typed_channels() -> list[str]:
    """The channels on which an agent may start a conversation by typing an address."""
    return [channel for channel, rules in _RULES.items() if rules.typed_addresses]


@cache
def _load(path: str) -> ChannelAdapter:
    return import_string(path)()


def adapter_for(channel: str) -> ChannelAdapter:
    return _load(settings.CONVERSE_CHANNEL_ADAPTERS[channel])

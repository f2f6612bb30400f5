"""Web chat's transport. A reply is in the widget as soon as it is stored: the widget
fetches it. When the visitor has left and agreed to be e-mailed, the reply also goes to
their address through Django's mail backend, with a link back to the page they chatted on
(which reopens the chat); a file it carries is not mailed, the mail says it waits there."""

from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import send_mail

from inbox.channels import InboundMessage, SendError, SendResult, StatusUpdate, TemplateData
from inbox.models import Message

from .presence import is_online, visitor_of

REOPEN = "#converse-chat"
# What stays as it is in the link: a URL's reserved characters and its escapes.
URL_SAFE = ":/?&=%@+;,~!$'()*[]"


def reopen_link(page_url: str, *, origins: list[str]) -> str:
    """The page the visitor chatted on, opening the chat; "" unless it is a page of the
    website (the widget reports it, so it is the visitor's word)."""
    parts = urlsplit(page_url)
    if f"{parts.scheme}://{parts.netloc}".lower() not in origins:
        return ""
    # Quoted: a space would end the link and carry the visitor's words into our mail.
    return quote(urlunsplit(parts._replace(fragment="")), safe=URL_SAFE) + REOPEN


class WebChatAdapter:
    def send(self, message: Message) -> SendResult:
        visitor = visitor_of(message.conversation.customer_address)
        sid = f"wc-out-{message.public_id}"
        if visitor is None or is_online(visitor) or not (visitor.email and visitor.email_consent):
            return SendResult(provider_sid=sid, status="delivered")
        website = visitor.website
        link = reopen_link(visitor.page_url, origins=website.origins)
        files = message.attachments.count()
        # The files themselves are not mailed: they wait in the chat, fetched with its token.
        waiting = {0: "", 1: "A file waits for you in the chat."}.get(
            files, f"{files} files wait for you in the chat."
        )
        text = "\n\n".join(part for part in (message.body, waiting) if part)
        text += f"\n\nContinue the conversation: {link}" if link else ""
        try:
            send_mail(
                # One line whatever the name holds: a header with a newline is refused.
                subject=f"{' '.join(str(website).split())}: a reply to your chat",
                message=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[visitor.email],
            )
        except OSError as error:  # the SMTP server is down or refused: try again later
            raise SendError("email_failed", str(error), transient=True) from error
        return SendResult(provider_sid=f"{sid}-email", status="delivered")

    def parse_inbound(self, params: Mapping[str, str]) -> InboundMessage:
        raise NotImplementedError("Visitors write through the widget's own endpoints.")

    def parse_status(self, params: Mapping[str, str]) -> StatusUpdate:
        raise NotImplementedError("Web chat has no provider reporting statuses.")

    def list_templates(self) -> list[TemplateData]:
        return []

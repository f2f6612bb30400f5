"""The whole of a mail, as it came: the thread shows its new part only."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from converse.security import policy_header
from inbox.access import conversation_for
from inbox.models import Channel, Message

from .content import has_remote_images, html_clean
from .models import MailHeaders


@require_GET
@login_required
def original(request: HttpRequest, public_id: str) -> HttpResponse:
    """A customer's mail whole: its sender, text and HTML. The HTML is sanitised and shows
    no remote image until the reader asks (``?images=1``): an image loaded is a read receipt
    for whoever sent it."""
    message = (
        Message.objects.filter(public_id=public_id, channel=Channel.EMAIL)
        .select_related("conversation")
        .first()
    )
    if message is None:
        raise Http404("No such mail")
    conversation = conversation_for(request.user, message.conversation.public_id)
    mail = MailHeaders.objects.filter(message=message).first()
    if mail is None:
        raise Http404("No such mail")
    images = request.GET.get("images") == "1"
    response = render(
        request,
        "channels_email/original.html",
        {
            "conversation": conversation,
            "message": message,
            "mail": mail,
            "html": html_clean(mail.html, remote_images=images) if mail.html else "",
            "blocked_images": not images and has_remote_images(mail.html),
        },
    )
    if images:
        response.headers["Content-Security-Policy"] = policy_header(
            {**settings.CONTENT_SECURITY_POLICY, "img-src": "'self' data: https:"}
        )
    return response

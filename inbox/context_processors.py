from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .selectors.counts import unread_count
from .services.heartbeat import worker_silent_for
from .versions import COMMIT_SLACK
from .views.live import format_version


def converse(request) -> dict:
    context = {
        "provider_is_simulator": settings.CONVERSE_PROVIDER == "simulator",
        # The local demo's customer mailbox (make run serves its mail servers).
        "demo_mail_page": settings.DEBUG,
        # Templates other apps add to the conversation window's bar (macros), by setting:
        # the inbox names none of them.
        "window_tools": settings.CONVERSATION_WINDOW_TOOLS,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # The live poll's starting point and the unread badge of every signed-in page.
        context["live_since"] = format_version(timezone.now() - COMMIT_SLACK)
        context["live_unread"] = SimpleLazyObject(lambda: unread_count(user=user))
        context["live_poll_seconds"] = settings.LIVE_POLL_SECONDS
        context["worker_silent_for"] = worker_silent_for(now=timezone.now())
    return context

"""Working together (F-CO1…F-CO3, F-CV12): presence, @mention suggestions, snooze and
conversation labels, from the conversation window."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .. import presence
from ..access import ConversationTaken, conversation_for
from ..live_events import signal
from ..pure.params import param_int
from ..pure.snooze_times import BadSnoozeTime, snooze_until
from ..selectors.window import mention_candidates, replied_by_another
from ..services.labels import LabelRefused, conversations_label
from ..services.snooze import SnoozeRefused, conversation_snooze, conversation_unsnooze
from .live import format_version, parse_version
from .window import thread_response


@require_POST
@login_required
def presence_beat_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """The window's beat: note that I have it open (typing or not, beating again within
    ``every`` seconds) and answer who else does and, when ``since`` is given, who else
    replied after it. Once a teammate has grabbed the conversation, ``taken`` says who and
    when (the window then redraws itself). A change others should see is pushed to them."""
    user = request.user
    try:
        conversation = conversation_for(user, public_id)
    except ConversationTaken as gone:
        if request.POST.get("left") == "1":
            return HttpResponse(status=204)
        return JsonResponse(
            {"text": "", "outbound": "", "replied_by": "", "taken": gone.taken.sentence}
        )
    if request.POST.get("left") == "1":
        presence.presence_leave(conversation_id=conversation.pk, user_id=user.pk)
        signal(kind="presence", conversation=conversation)
        return HttpResponse(status=204)
    changed = presence.presence_beat(
        conversation_id=conversation.pk,
        user_id=user.pk,
        name=str(user),
        typing=request.POST.get("typing") == "1",
        every=param_int(request.POST.get("every"), low=1, high=presence.STREAM_BEAT_SECONDS),
    )
    if changed:
        # The others' windows look again at once (they learn it by push, not by beating).
        signal(kind="presence", conversation=conversation)
    others = presence.viewers(conversation_id=conversation.pk, besides=user.pk)
    since = parse_version(request.POST.get("since"))
    last_out = conversation.last_outbound_at
    replied_by = ""
    if since is not None and last_out is not None and last_out > since:
        replied_by = replied_by_another(conversation=conversation, user=user, since=since)
    return JsonResponse(
        {
            "text": presence.describe(others),
            "outbound": format_version(last_out) if last_out else "",
            "replied_by": replied_by,
        }
    )


@require_GET
@login_required
def mention_candidates_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Teammates who may open the conversation, for the note's ``@`` suggestions."""
    conversation = conversation_for(request.user, public_id)
    people = mention_candidates(conversation=conversation, prefix=request.GET.get("q", ""))
    return JsonResponse(
        {"people": [{"username": u.username, "name": str(u)} for u in people if u != request.user]}
    )


@require_POST
@login_required
def labels_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Add (``add=``) or remove (``remove=``) one of the conversation's own labels."""
    conversation = conversation_for(request.user, public_id)
    try:
        conversations_label(
            conversations=[conversation],
            by=request.user,
            add=request.POST.get("add", ""),
            remove=request.POST.get("remove", ""),
        )
    except LabelRefused as refused:
        return thread_response(request, conversation, error=str(refused), status=422)
    return thread_response(request, conversation)


@require_POST
@login_required
def snooze_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Snooze until ``until`` (hour, tomorrow, monday, reply, custom with ``at``), or end
    the snooze (``until=off``)."""
    user = request.user
    conversation = conversation_for(user, public_id)
    choice = request.POST.get("until", "")
    try:
        if choice == "off":
            conversation_unsnooze(conversation=conversation, by=user)
        else:
            until = snooze_until(
                choice,
                now=timezone.now(),
                tz=timezone.get_current_timezone(),
                custom=request.POST.get("at", ""),
            )
            conversation_snooze(conversation=conversation, by=user, until=until)
    except (BadSnoozeTime, SnoozeRefused) as refused:
        return thread_response(request, conversation, error=str(refused), status=422)
    return thread_response(request, conversation)

"""Conversation lists (F-IN1…F-IN6) and what is done to many conversations at once (F-IN8)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from ..access import usable_sender_ids, visible_conversations
from ..models import Channel, Conversation, Role, User
from ..pure.params import param_id
from ..selectors.counts import inbox_nav, team_agents
from ..selectors.lists import Cursor, InboxFilters, InboxView, filter_choices, inbox_conversations
from ..services.assignment import AssignRefused, conversations_assign
from ..services.conversation_status import conversations_set_status
from ..services.labels import LabelRefused, conversations_label
from ..services.read_state import (
    conversations_mark_read,
    conversations_mark_unread,
    counted_on_screen,
)
from ..waiting import WaitingState

LIST_PARTIAL = "inbox/partials/conversation_list.html"


def list_context(
    request: HttpRequest, *, view: InboxView | None = None, title: str = "My Inbox"
) -> dict:
    """Everything the three-pane page shows around a list: nav, filters, rows, paging."""
    view = view or InboxView("mine")
    filters = InboxFilters.from_query(request.GET)
    after = Cursor.decode(request.GET.get("after"))
    conversations, next_cursor = inbox_conversations(
        user=request.user, view=view, filters=filters, after=after
    )
    nav = inbox_nav(user=request.user)
    path = _list_path(view)
    params = filters.as_params()
    return {
        "view": view,
        "nav": nav,
        "filters": filters,
        "filter_choices": filter_choices(),
        "statuses": Conversation.Status.choices,
        "waiting_states": WaitingState.choices,
        "channels": Channel.choices,
        "conversations": conversations,
        "is_older_page": after is not None,
        "list_url": f"{path}?{urlencode(params)}" if params else path,
        "more_url": f"{path}?{urlencode(params | {'after': next_cursor.encode()})}"
        if next_cursor
        else "",
        "unread_count": nav.mine,
        # Already counted: spares the context processor's query for the live badge.
        "live_unread": nav.mine,
        "list_title": title,
        # The open conversation's row (the conversation page sets it; after a refresh the
        # page marks it).
        "active_id": "",
    }


def _list_path(view: InboxView) -> str:
    if view.kind == "sender":
        return reverse("inbox:sender_inbox", args=[view.sender.public_id])
    if view.kind == "sent":
        return reverse("inbox:sent")
    if view.kind == "team":
        return reverse("inbox:team_agent", args=[view.agent.username])
    if view.kind in ("mentions", "snoozed"):
        return reverse(f"inbox:{view.kind}")
    if view.kind == "all":
        return reverse("inbox:all_conversations")
    return reverse("inbox:my_inbox")


def _render_list(request: HttpRequest, context: dict) -> HttpResponse:
    # The 5 s refresh and "older conversations" swap only the list; anything else
    # (navigation, first load) gets the whole page.
    if request.htmx and request.htmx.target in ("conversation-list", None):
        return render(request, LIST_PARTIAL, context)
    return render(request, "inbox/inbox.html", context)


@require_GET
@login_required
def my_inbox(request: HttpRequest) -> HttpResponse:
    return _render_list(request, list_context(request))


@require_GET
@login_required
def sender_inbox(request: HttpRequest, public_id: str) -> HttpResponse:
    """F-IN2: one inbox per sender ID the user owns or shares (admins: every sender ID)."""
    sender = get_object_or_404(usable_sender_ids(request.user), public_id=public_id)
    view = InboxView("sender", sender=sender)
    return _render_list(request, list_context(request, view=view, title=str(sender)))


@require_GET
@login_required
def sent(request: HttpRequest) -> HttpResponse:
    """F-IN4: conversations I started or replied to."""
    view = InboxView("sent")
    return _render_list(request, list_context(request, view=view, title="Sent Messages"))


@require_GET
@login_required
def mentions(request: HttpRequest) -> HttpResponse:
    """F-CO2: conversations where someone @mentioned me, until I open them."""
    view = InboxView("mentions")
    return _render_list(request, list_context(request, view=view, title="Mentions"))


@require_GET
@login_required
def snoozed(request: HttpRequest) -> HttpResponse:
    """F-CO3: the conversations I snoozed, until they come back."""
    view = InboxView("snoozed")
    return _render_list(request, list_context(request, view=view, title="Snoozed"))


def _require_admin(user: User) -> None:
    if not user.is_admin:
        raise Http404("No such page")


@require_GET
@login_required
def team_inbox(request: HttpRequest) -> HttpResponse:
    """F-IN3: admins pick a standard user to see their inbox."""
    _require_admin(request.user)
    context = {
        "agents": team_agents(),
        "nav": inbox_nav(user=request.user),
        "list_title": "Team Inbox",
        "view": InboxView("team"),
    }
    return render(request, "inbox/team.html", context)


@require_GET
@login_required
def team_agent(request: HttpRequest, username: str) -> HttpResponse:
    """F-IN3: one agent's inbox, unread as the agent sees it; opening a row marks it read
    only for the admin."""
    _require_admin(request.user)
    agent = get_object_or_404(User, username=username, role=Role.STANDARD, is_active=True)
    # The list header shows the agent's own unread count.
    agent.unread = next((a.unread for a in team_agents() if a.pk == agent.pk), 0)
    view = InboxView("team", agent=agent)
    return _render_list(request, list_context(request, view=view, title=f"Team Inbox · {agent}"))


@require_GET
@login_required
def all_conversations(request: HttpRequest) -> HttpResponse:
    """Every conversation (admins): where a report's figures open the conversations they
    count, through the list's report filters."""
    _require_admin(request.user)
    view = InboxView("all")
    return _render_list(request, list_context(request, view=view, title="All conversations"))


@require_GET
@login_required
def nav_refresh(request: HttpRequest) -> HttpResponse:
    """The navigation alone, with fresh counts: it redraws itself when the inbox changes
    (``?kind=`` and ``?sender=`` say which inbox the page shows, ``?open=`` the conversation
    on screen)."""
    kind = request.GET.get("kind", "mine")
    if kind == "sender":
        sender = get_object_or_404(
            usable_sender_ids(request.user), public_id=request.GET.get("sender")
        )
        view = InboxView("sender", sender=sender)
    else:
        known = ("sent", "team", "all", "mentions", "snoozed", "search")
        view = InboxView(kind if kind in known else "mine")
    # As /live/ does: what arrived in the conversation on screen is read before the counts
    # are taken, whichever of the two requests the server answers first.
    nav = counted_on_screen(
        user=request.user,
        public_id=request.GET.get("open", "")[:16],
        count=lambda: inbox_nav(user=request.user),
    )
    context = {"nav": nav, "view": view}
    return render(request, "inbox/partials/inbox_nav.html", context)


BULK_ACTIONS = {
    "read",
    "unread",
    "close",
    "reopen",
    "assign",
    "agent_read",
    "agent_unread",
    "label",
    "unlabel",
}


# One page of the list holds 50; a bulk request never touches more than this.
BULK_LIMIT = 500


@require_POST
@login_required
def bulk(request: HttpRequest) -> HttpResponse:
    """F-IN8: act on the ticked conversations, then go back to the list.

    Every id must be one the user may see (else 404). Marking read or unread for an
    agent (admins, from the Team Inbox) changes the agent's own state, so it asks for a
    confirmation first.
    """
    user = request.user
    action = request.POST.get("action", "")
    ids = set(request.POST.getlist("ids")[:BULK_LIMIT])
    back = _safe_next(request)
    if action not in BULK_ACTIONS:
        return redirect(back)
    conversations = list(
        visible_conversations(user).select_related("contact").filter(public_id__in=ids)
    )
    if len(conversations) != len(ids):
        raise Http404("No such conversation")
    if action in ("assign", "agent_read", "agent_unread"):
        _require_admin(user)
    if not conversations:
        return redirect(back)
    if action == "read":
        conversations_mark_read(user=user, conversations=conversations)
        done = _count(len(conversations), "marked read")
    elif action == "unread":
        conversations_mark_unread(user=user, conversations=conversations)
        done = _count(len(conversations), "marked unread")
    elif action in ("close", "reopen"):
        status = Conversation.Status.CLOSED if action == "close" else Conversation.Status.OPEN
        changed = conversations_set_status(conversations=conversations, status=status, by=user)
        done = _count(len(changed), "closed" if action == "close" else "reopened")
        if len(changed) < len(conversations):
            done += f" ({len(conversations) - len(changed)} left as they were)"
    elif action in ("label", "unlabel"):
        name = request.POST.get("label", "")
        try:
            conversations_label(
                conversations=conversations,
                by=user,
                add=name if action == "label" else "",
                remove=name if action == "unlabel" else "",
            )
        except LabelRefused as refused:
            return HttpResponse(str(refused), status=422)
        verb = "labelled" if action == "label" else "unlabelled"
        done = _count(len(conversations), f"{verb} “{name}”")
    elif action == "assign":
        assignee = get_object_or_404(User, pk=_int(request.POST.get("assignee")), is_active=True)
        try:
            changed = conversations_assign(conversations=conversations, assignee=assignee, by=user)
        except AssignRefused as refused:
            return HttpResponse(str(refused), status=422)
        done = _count(len(changed), f"assigned to {assignee}")
    else:
        agent = get_object_or_404(
            User, username=request.POST.get("agent", ""), role=Role.STANDARD, is_active=True
        )
        if request.POST.get("confirm") != "1":
            context = {
                "action": action,
                "agent": agent,
                "conversations": conversations,
                "next": back,
            }
            return render(request, "inbox/confirm_agent_read.html", context)
        mark = conversations_mark_read if action == "agent_read" else conversations_mark_unread
        mark(user=agent, conversations=conversations)
        state = "read" if action == "agent_read" else "unread"
        done = _count(len(conversations), f"marked {state} for {agent}")
    messages.success(request, done)
    return redirect(back)


def _count(n: int, what: str) -> str:
    """The confirmation of a bulk action: ``3 closed``, ``1 marked read``."""
    return f"{n} {what}" if n else f"Nothing {what}"


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    # A path on this site only: ``redirect`` would take a bare word for a URL name.
    on_site = target.startswith("/") and target.isprintable()
    if on_site and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("inbox:my_inbox")


def _int(raw: str | None) -> int:
    return param_id(raw) or 0

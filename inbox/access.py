"""Who may see and act on what. Every view and service asks here; nowhere else decides."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Expression, Q, QuerySet, Value
from django.http import Http404
from django.utils import timezone

from .models import Conversation, ConversationEvent, Role, SenderId, Team, TeamMode, User
from .services.teams import team_may_reply


def usable_sender_ids(user: User) -> QuerySet[SenderId]:
    """Sender IDs ``user`` may send from and whose inbox they may open (F-CH4, F-IN2)."""
    qs = SenderId.objects.filter(is_active=True)
    if user.is_admin:
        return qs
    return qs.filter(
        Q(owner=user)
        | Q(pk__in=SenderId.shared_with.through.objects.filter(user=user).values("senderid_id"))
        | Q(team__in=user.teams.all())
    )


@dataclass(frozen=True)
class Reach:
    """What brings conversations into a standard user's sight besides owning them."""

    sender_ids: tuple[int, ...]  # sender IDs they own or share
    collaboration_team_ids: tuple[int, ...]
    grab_team_ids: tuple[int, ...]


def reach_of(user: User) -> Reach:
    """``user``'s sender IDs and teams, in one query, kept on ``user`` for the rest of the
    request (the window asked twice: to find the conversation, and for the navigation).
    Only an admin changes them, in the Django admin, and never on a page that asks."""
    kept = getattr(user, "_reach", None)
    if kept is not None:
        return kept
    user._reach = _reach_of(user)
    return user._reach


def _reach_of(user: User) -> Reach:
    senders = (
        SenderId.objects.filter(Q(owner=user) | Q(shared_with=user))
        .order_by()
        .values_list("pk", Value("sender"))
    )
    teams = Team.objects.filter(members=user).order_by().values_list("pk", "mode")
    rows = sorted(set(senders.union(teams, all=True)))
    return Reach(
        sender_ids=tuple(pk for pk, kind in rows if kind == "sender"),
        collaboration_team_ids=tuple(pk for pk, kind in rows if kind == TeamMode.COLLABORATION),
        grab_team_ids=tuple(pk for pk, kind in rows if kind == TeamMode.GRAB),
    )


def visible_conversations(user: User, reach: Reach | None = None) -> QuerySet[Conversation]:
    """Conversations ``user`` may open.

    Admins see all. A standard user sees those they own, those on sender IDs they own or
    share, and those of their teams: all of them in collaboration mode, in grab mode only
    the ones nobody has grabbed yet or that they grabbed.

    The sender IDs and teams (``reach``, looked up when not given) are passed as values:
    PostgreSQL then combines index scans instead of filtering every conversation.
    """
    qs = Conversation.objects.all()
    if user.is_admin:
        return qs
    return qs.filter(in_sight(user, reach))


def in_sight(user: User, reach: Reach | None = None) -> Q:
    """The condition ``visible_conversations`` filters a standard user's by."""
    return reduce(or_, _sight(user, reach or reach_of(user)))


def _sight(user: User, reach: Reach) -> list[Q]:
    """The ways a conversation comes into a standard user's sight, each a condition."""
    return [
        Q(owner=user),
        Q(sender_id__in=reach.sender_ids),
        Q(team__in=reach.collaboration_team_ids),
        Q(team__in=reach.grab_team_ids, owner__isnull=True),
    ]


def visible_parts(user: User, reach: Reach | None = None) -> list[Q]:
    """What ``visible_conversations`` holds, as conditions no two of which hold together
    (each way into sight, less the ways before it): a count can read each part from its
    own index, index-only, and add them up. An admin's one part is every conversation."""
    if user.is_admin:
        return [Q()]
    parts, before = [], Q()
    for way in _sight(user, reach or reach_of(user)):
        parts.append(way & ~before if before else way)
        before |= way
    return parts


def conversation_for(
    user: User, public_id: str, *, also: dict[str, Expression] | None = None
) -> Conversation:
    """The conversation ``public_id`` if ``user`` may see it; otherwise 404, never a leak.
    ``also``: annotations read in the same query (``inbox.window_facts``).

    The one exception: a member of a grab team whose conversation a teammate took since
    gets ``ConversationTaken`` (a 404 to any view that does not say more), which tells who
    took it and when. Nobody else learns anything.
    """
    conversation = (
        visible_conversations(user)
        .select_related("contact", "sender_id", "owner", "team")
        .filter(public_id=public_id)
        .annotate(**(also or {}))
        .first()
    )
    if conversation is None:
        taken = None if user.is_admin else taken_from(user, public_id)
        if taken is not None:
            raise ConversationTaken(taken)
        raise Http404("No such conversation")
    return conversation


@dataclass(frozen=True)
class Taken:
    """Who took a grab-team conversation out of a member's sight, and when."""

    name: str
    at: datetime | None
    grabbed: bool  # they grabbed it themselves (else it was assigned to them)

    @property
    def sentence(self) -> str:
        """``Alice grabbed this conversation on 7 Dec 2026 at 10:02.``"""
        when = ""
        if self.at is not None:
            at = timezone.localtime(self.at)
            when = f" on {at.day} {at:%b %Y} at {at:%H:%M}"
        if self.grabbed:
            return f"{self.name} grabbed this conversation{when}."
        return f"This conversation was assigned to {self.name}{when}."


class ConversationTaken(Http404):
    """A grab-team conversation a teammate took: ``taken`` says who and when."""

    def __init__(self, taken: Taken) -> None:
        super().__init__("No such conversation")
        self.taken = taken


def taken_from(user: User, public_id: str) -> Taken | None:
    """Who took ``public_id`` from ``user``, when it is a conversation of one of their grab
    teams that someone else now owns (so they no longer see it); None otherwise. Only
    asked once a conversation was not found: two queries, and none on the way to a page."""
    conversation = (
        Conversation.objects.filter(
            public_id=public_id,
            team__mode=TeamMode.GRAB,
            team__members=user,
            owner__isnull=False,
        )
        .exclude(owner=user)
        .select_related("owner")
        .first()
    )
    if conversation is None:
        return None
    event = (
        ConversationEvent.objects.filter(
            conversation=conversation,
            kind=ConversationEvent.Kind.ASSIGNED,
            data__to=conversation.owner_id,
        )
        .order_by("-created_at", "-pk")
        .only("actor_id", "created_at")
        .first()
    )
    return Taken(
        name=str(conversation.owner),
        at=event.created_at if event else None,
        grabbed=event is not None and event.actor_id == conversation.owner_id,
    )


def live_visible_ids(user: User, conversation_ids: Iterable[int]) -> set[int]:
    """Which of ``conversation_ids`` ``user``'s live stream may tell about: those they may
    see, and (the one exception, as in ``conversation_for``) a grab-team conversation a
    teammate took, so an open window can say who took it. At most two queries."""
    ids = set(conversation_ids)
    if user.is_admin or not ids:
        return ids
    taken = Q(team__mode=TeamMode.GRAB, team__members=user, owner__isnull=False)
    seen = Conversation.objects.filter(pk__in=ids).filter(
        Q(pk__in=visible_conversations(user).filter(pk__in=ids).values("pk")) | taken
    )
    return set(seen.values_list("pk", flat=True))


def can_send_in(user: User, conversation: Conversation) -> bool:
    """Whether ``user`` may write to the customer in ``conversation``.

    Admins and the owner always may; in a team conversation the team's rules decide
    (``inbox.services.teams``: join first, or grab); otherwise whoever may see it. The
    server enforces it, not just the screen.
    """
    if user.is_admin or conversation.owner_id == user.pk:
        return True
    if conversation.team_id is not None:
        return team_may_reply(user, conversation)
    return visible_conversations(user).filter(pk=conversation.pk).exists()


def can_export(user: User, conversation: Conversation) -> bool:
    """Transcripts and media downloads are for admins and the conversation's owner (F-CV11)."""
    return user.is_admin or conversation.owner_id == user.pk


def viewers_of(conversation: Conversation) -> QuerySet[User]:
    """The active users who may open ``conversation``: the other side of
    ``visible_conversations`` (who is offered for an @mention, who may be mentioned)."""
    sender = conversation.sender_id_id
    q = Q(role=Role.ADMIN) | Q(owned_sender_ids=sender) | Q(shared_sender_ids=sender)
    if conversation.owner_id is not None:
        q |= Q(pk=conversation.owner_id)
    team = conversation.team
    if team is not None and (team.mode == TeamMode.COLLABORATION or conversation.owner_id is None):
        q |= Q(teams=team)
    return User.objects.filter(q, is_active=True).distinct()

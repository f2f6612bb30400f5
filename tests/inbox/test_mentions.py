"""@mentions in private notes (F-CO2): suggestions, refusals, notification, Mentions view."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.access import viewers_of, visible_conversations
from inbox.models import Conversation, ConversationEvent, Notification, Team, TeamMode, User
from inbox.selectors.lists import InboxView
from inbox.services.notes import NoteRefused, mentioned_usernames, note_add
from inbox.views.live import format_version

from ..conftest import receive


@pytest.fixture
def shared(shared_line):
    """A conversation alice and bob both see (a line shared with them); carol does not."""
    return receive(shared_line, "+12025550123", "Where is my parcel?").conversation


def note(client, conversation, body):
    url = reverse("inbox:note", args=[conversation.public_id])
    return client.post(url, {"body": body}, headers={"HX-Request": "true"})


def test_mentioned_usernames_ignore_email_addresses_and_sentence_ends():
    body = "Ask @bob. Or @carol-, not mail@alice.com; @bob again"
    assert mentioned_usernames(body) == ["bob", "carol"]


def test_a_mention_notifies_the_teammate_and_lists_the_conversation_until_opened(
    client, shared, alice, bob
):
    client.force_login(alice)
    response = note(client, shared, "@bob can you check the courier?")
    assert response.status_code == 200
    assert Notification.objects.filter(
        user=bob, kind=Notification.Kind.MENTIONED, conversation=shared, actor=alice
    ).exists()

    client.force_login(bob)
    mentions = client.get(reverse("inbox:mentions"))
    assert shared.public_id in mentions.content.decode()

    client.get(reverse("inbox:conversation", args=[shared.public_id]))
    mentions = client.get(reverse("inbox:mentions"))
    assert shared.public_id not in mentions.content.decode()


@pytest.fixture
def settled(monkeypatch):
    """Counts are kept from the first request on, as on a quiet server: a count that went
    stale in the cache shows."""
    from inbox import versions

    monkeypatch.setattr(versions, "COMMIT_SLACK", timedelta(0))


def mentions_badge(client) -> tuple[int, str]:
    response = client.get(reverse("inbox:my_inbox"))
    return response.context["nav"].mentions, response.content.decode()


def test_the_mentions_link_counts_what_i_have_not_opened_since(
    client, shared, shared_line, alice, bob, settled
):
    other = receive(shared_line, "+12025550124", "Hello?").conversation
    note_add(conversation=shared, author=alice, body="@bob can you check the courier?")
    note_add(conversation=other, author=alice, body="@bob and this one")
    client.force_login(bob)
    count, page = mentions_badge(client)
    assert count == 2 and 'aria-label="2 not opened">2</span>' in page
    assert mentions_badge(client)[0] == 2  # kept

    client.get(reverse("inbox:conversation", args=[shared.public_id]))  # unread: read now
    assert mentions_badge(client)[0] == 1
    client.post(reverse("inbox:bulk"), {"ids": [other.public_id], "action": "read"})
    assert mentions_badge(client)[0] == 1  # marked read is not opened
    client.get(reverse("inbox:conversation", args=[other.public_id]))  # read already
    count, page = mentions_badge(client)
    assert count == 0 and "not opened" not in page


def test_the_live_poll_announces_the_mention(client, shared, alice, bob):
    since = timezone.now()
    note_add(conversation=shared, author=alice, body="@bob look")
    client.force_login(bob)
    response = client.get(reverse("inbox:live"), {"since": format_version(since)})
    assert response.status_code == 200
    assert "Alice mentioned you" in response.headers["HX-Trigger"]


def test_mentioning_someone_who_cannot_see_the_conversation_is_refused_and_saves_nothing(
    client, shared, alice, carol
):
    client.force_login(alice)
    response = note(client, shared, "@carol please look")
    assert response.status_code == 422
    assert "@carol cannot open this conversation" in response.content.decode()
    assert not ConversationEvent.objects.filter(kind=ConversationEvent.Kind.NOTE).exists()
    assert not Notification.objects.exists()


def test_mentioning_nobody_known_is_refused(shared, alice):
    with pytest.raises(NoteRefused, match="No teammate is called @zed"):
        note_add(conversation=shared, author=alice, body="@zed?")


def test_typing_at_offers_only_teammates_who_can_see_it(client, shared, alice, bob, carol, admin):
    client.force_login(alice)
    url = reverse("inbox:mentionable", args=[shared.public_id])
    people = client.get(url).json()["people"]
    assert [p["username"] for p in people] == ["admin", "bob"]
    assert [p["username"] for p in client.get(url, {"q": "bo"}).json()["people"]] == ["bob"]


def test_mention_suggestions_are_404_to_whoever_cannot_see_it(client, shared, carol):
    url = reverse("inbox:mentionable", args=[shared.public_id])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(carol)
    assert client.get(url).status_code == 404


def test_viewers_are_exactly_those_who_see_the_conversation(
    admin, alice, bob, carol, alice_line, shared_line
):
    grab = Team.objects.create(name="Grab", mode=TeamMode.GRAB)
    grab.members.add(carol, bob)
    conversations = [
        receive(alice_line, "+12025550100").conversation,
        receive(shared_line, "+12025550101").conversation,
    ]
    grabbed = receive(alice_line, "+12025550102").conversation
    Conversation.objects.filter(pk=grabbed.pk).update(team=grab, owner=None)
    free = receive(alice_line, "+12025550103").conversation
    Conversation.objects.filter(pk=free.pk).update(team=grab, owner=carol)
    for c in [*conversations, grabbed, free]:
        c = Conversation.objects.select_related("team").get(pk=c.pk)
        expected = {u for u in User.objects.all() if visible_conversations(u).filter(pk=c.pk)}
        assert set(viewers_of(c)) == expected


def test_the_mentions_view_has_fixed_queries(
    client, shared_line, alice, bob, django_assert_num_queries
):
    def mention(n):
        for i in range(n):
            c = receive(shared_line, f"+1202555{i:04d}").conversation
            note_add(conversation=c, author=alice, body="@bob")

    client.force_login(bob)
    client.get(reverse("inbox:mentions"))  # the counts are kept from here
    mention(2)
    with django_assert_num_queries(10):
        first = client.get(reverse("inbox:mentions"))
    mention(5)
    with django_assert_num_queries(10):
        second = client.get(reverse("inbox:mentions"))
    assert len(first.context["conversations"]) == 2
    assert len(second.context["conversations"]) == 5
    assert InboxView("mentions") == second.context["view"]


def thread_html(client, conversation) -> str:
    return client.get(reverse("inbox:conversation", args=[conversation.public_id])).content.decode()


def test_a_note_shows_its_mentions_marked_and_everything_else_escaped(client, shared, alice, bob):
    body = "@bob <b>look</b> at https://x.org/@bob, not mail@bob.com. Thanks @bob.\n@alice too"
    note_add(conversation=shared, author=alice, body=body)
    client.force_login(alice)
    html = thread_html(client, shared)
    assert (
        '<p><mark class="mention">@bob</mark> &lt;b&gt;look&lt;/b&gt; at '
        '<a href="https://x.org/@bob" target="_blank" rel="noopener noreferrer">'
        "https://x.org/@bob</a>, not mail@bob.com. Thanks "
        '<mark class="mention">@bob</mark>.<br><mark class="mention">@alice</mark> too</p>'
    ) in html
    assert "<b>look" not in html


def test_only_real_mentions_are_marked(client, shared, alice, bob):
    # A note from before mentions were kept, and one naming a mention that is no teammate:
    # "@bob" is only text in the first, "@nobody" is never a mark.
    ConversationEvent.objects.create(
        conversation=shared, kind=ConversationEvent.Kind.NOTE, actor=alice, body="old @bob"
    )
    ConversationEvent.objects.create(
        conversation=shared,
        kind=ConversationEvent.Kind.NOTE,
        actor=alice,
        body="@nobody <i>x</i>",
        data={"mentions": ["bob"]},
    )
    client.force_login(alice)
    html = thread_html(client, shared)
    assert "<p>old @bob</p>" in html and "<p>@nobody &lt;i&gt;x&lt;/i&gt;</p>" in html
    assert '<mark class="mention">' not in html

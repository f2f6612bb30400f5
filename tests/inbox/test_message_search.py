"""Search in message text (F-IN9): every inbox I may see, snippets, opened at the message."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import Message
from inbox.selectors.search import message_search, snippet
from inbox.selectors.window import THREAD_PAGE

from ..conftest import receive


def search(client, text):
    return client.get(reverse("inbox:search"), {"q": text})


def test_a_word_from_an_old_message_finds_its_conversation(client, alice, alice_line):
    long_ago = timezone.now() - timedelta(days=400)
    old = receive(alice_line, "+12025550123", "My invoice 4521 is wrong", received_at=long_ago)
    for i in range(THREAD_PAGE + 5):
        receive(alice_line, "+12025550123", f"Later message {i}")
    receive(alice_line, "+12025550199", "Nothing to see here")
    client.force_login(alice)

    response = search(client, "invoice")
    hits = response.context["hits"]
    assert [h.message_id for h in hits] == [old.public_id]
    assert "My <mark>invoice</mark> 4521 is wrong" in response.content.decode()

    # The result opens the conversation with that message in the thread, however old.
    link = f"/c/{old.conversation.public_id}/?at={old.public_id}"
    assert link in response.content.decode()
    window = client.get(link).content.decode()
    assert f'id="m-{old.public_id}"' in window


def test_a_standard_user_never_finds_text_in_a_conversation_they_cannot_open(
    client, alice, bob, carol, admin, alice_line, bob_line, shared_line
):
    receive(alice_line, "+12025550101", "secret refund for alice")
    receive(bob_line, "+12025550102", "secret refund for bob")
    receive(shared_line, "+12025550103", "secret refund shared")

    def found(user):
        client.force_login(user)
        return sorted(h.snippet for h in search(client, "secret refund").context["hits"])

    assert len(found(alice)) == 2 and not any("for bob" in s for s in found(alice))
    assert len(found(bob)) == 2 and not any("for alice" in s for s in found(bob))
    assert found(carol) == []
    assert len(found(admin)) == 3


def test_search_needs_a_sign_in(client):
    assert search(client, "x").status_code == 302


def test_the_snippet_is_escaped_and_cut_around_the_word():
    body = "<b>" + "a" * 200 + " refund please " + "z" * 200
    cut = snippet(body, "refund")
    assert "<mark>refund</mark>" in cut and "<b>" not in cut
    assert cut.startswith("…") and cut.endswith("…")


def test_bad_search_input_finds_nothing_without_an_error(client, alice, alice_line):
    receive(alice_line, "+12025550101", "hello")
    client.force_login(alice)
    for text in ["!!!", "'\"()&|:*", "x" * 500]:
        assert search(client, text).status_code == 200
    assert message_search(user=alice, text="  ") == []


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_search_has_fixed_queries(
    client, request, alice_line, who, django_assert_num_queries, on_postgres
):
    user = request.getfixturevalue(who)
    client.force_login(user)

    def fill(start, n):
        for i in range(start, start + n):
            receive(alice_line, f"+1202555{i:04d}", "where is the parcel")

    # Session, user, (a standard user's reach, once,) the hits, the nav (sender IDs, the
    # newest change, the conversations changed since the counts were kept). On PostgreSQL
    # the text index is asked for the matches first (``message_search._matching``).
    queries = {"alice": 7, "admin": 6}[who] + on_postgres
    search(client, "parcel")  # the counts are kept from here
    fill(0, 2)
    with django_assert_num_queries(queries):
        assert len(search(client, "parcel").context["hits"]) == 2
    fill(2, 10)
    with django_assert_num_queries(queries):
        assert len(search(client, "parcel").context["hits"]) == 12
    assert Message.objects.count() == 12

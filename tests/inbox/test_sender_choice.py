"""The sender ID select of the forms that start a conversation: a prompt instead of
Django's "---------", and nothing to choose when there is only one."""

import re

from django.urls import reverse

from inbox.models import Channel, SenderId


def sender_select(page: str) -> str:
    return re.search(r'<select name="sender".*?</select>', page, re.S).group()


def test_with_several_sender_ids_the_select_asks_to_choose_one(
    client, alice, alice_line, shared_line
):
    client.force_login(alice)
    select = sender_select(client.get(reverse("inbox:conversation_new")).content.decode())
    assert "---------" not in select
    assert '<option value="" selected>Choose a sender ID</option>' in select
    assert "Alice&#x27;s line (+14155550100)" in select and "Support (+14155550199)" in select


def test_with_one_sender_id_it_is_chosen_already(client, alice, alice_line):
    client.force_login(alice)
    select = sender_select(client.get(reverse("inbox:conversation_new")).content.decode())
    assert '<option value=""' not in select
    assert re.search(rf'<option value="{alice_line.pk}" selected>', select)


def test_the_whatsapp_template_start_offers_only_whatsapp_lines_the_same_way(
    client, alice, alice_line
):
    line = SenderId.objects.create(
        address="whatsapp:+14155550111", channel=Channel.WHATSAPP, label="WA", owner=alice
    )
    client.force_login(alice)
    page = client.get(reverse("inbox:conversation_new_template")).content.decode()
    select = sender_select(page)
    assert '<option value=""' not in select
    assert f'<option value="{line.public_id}" selected>' in select

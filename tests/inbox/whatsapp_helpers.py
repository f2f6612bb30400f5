"""Shared WhatsApp test data: a WhatsApp line and approved templates."""

import pytest

from inbox.models import Channel, SenderId, WhatsAppTemplate


@pytest.fixture
def wa_line(alice) -> SenderId:
    return SenderId.objects.create(
        address="whatsapp:+14155550142", channel=Channel.WHATSAPP, label="WhatsApp", owner=alice
    )


@pytest.fixture
def order_template(db) -> WhatsAppTemplate:
    return WhatsAppTemplate.objects.create(
        content_sid="HX" + "a" * 32,
        name="order_update",
        language="en",
        body="Hi {{1}}, your order {{2}} is on its way.",
        default_values={"1": "Customer", "2": "12345"},
        variable_fields={"1": "name"},
        category="utility",
        approval=WhatsAppTemplate.Approval.APPROVED,
    )

"""The demo's contacts must pass our own phone check, or the demo's contacts cannot be
edited and an export of the demo does not import again."""

import pytest

from inbox.management.commands.seed_demo import CONTACTS, THREADS
from inbox.pure.phone import normalise_phone


@pytest.mark.parametrize(
    "number", sorted({phone for _, phone, _ in CONTACTS} | {phone for phone, *_ in THREADS})
)
def test_every_demo_customer_number_is_valid_by_our_own_check(number):
    assert normalise_phone(number) == number

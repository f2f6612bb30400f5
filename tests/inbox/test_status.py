"""Every edge of the outbound status machine (F-CV4)."""

import pytest

from inbox.models import MessageStatus as S
from inbox.services.status import can_transition

FORWARD = [
    (S.QUEUED, S.SENT),
    (S.QUEUED, S.DELIVERED),
    (S.QUEUED, S.READ),
    (S.SENT, S.DELIVERED),
    (S.SENT, S.READ),
    (S.DELIVERED, S.READ),
    (S.SCHEDULED, S.QUEUED),
    (S.QUEUED, S.FAILED),
    (S.QUEUED, S.UNDELIVERED),
    (S.SENT, S.FAILED),
    (S.SENT, S.UNDELIVERED),
]
BACKWARD_OR_REPEATED = [
    (S.SENT, S.QUEUED),
    (S.DELIVERED, S.SENT),
    (S.DELIVERED, S.QUEUED),
    (S.READ, S.DELIVERED),
    (S.READ, S.SENT),
    (S.SENT, S.SENT),
    (S.DELIVERED, S.DELIVERED),
    (S.FAILED, S.SENT),
    (S.FAILED, S.DELIVERED),
    (S.UNDELIVERED, S.DELIVERED),
    (S.FAILED, S.UNDELIVERED),
    (S.DELIVERED, S.FAILED),
    (S.READ, S.UNDELIVERED),
]


@pytest.mark.parametrize(("current", "new"), FORWARD)
def test_status_moves_forward(current, new):
    assert can_transition(current, new)


@pytest.mark.parametrize(("current", "new"), BACKWARD_OR_REPEATED)
def test_status_never_moves_back_or_out_of_a_final_state(current, new):
    assert not can_transition(current, new)

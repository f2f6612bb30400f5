"""Customer numbers that make the simulator fail, after Twilio's own test numbers.

Any other valid number is accepted, then reported sent and delivered (and read on WhatsApp).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    code: str
    at_send: bool  # refused when sending, or accepted and later reported undelivered
    description: str


FAILING_NUMBERS = {
    "+15005550001": Failure("21211", True, "invalid number: refused at send"),
    "+15005550004": Failure("21610", True, "customer opted out at the carrier: refused at send"),
    "+15005550009": Failure("21614", True, "cannot receive SMS: refused at send"),
    "+15005550010": Failure("30003", False, "unreachable phone: accepted, then undelivered"),
}

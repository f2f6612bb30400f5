"""Phone numbers: parsed and validated by ``phonenumbers``, stored as E.164."""

import re
from functools import lru_cache

import phonenumbers
from django.conf import settings

from ..channels import InvalidAddress

# Shown in help texts and errors; a test keeps it valid by our own check.
EXAMPLE_NUMBER = "+44 7911 123456"


class InvalidPhoneNumber(InvalidAddress):
    """A number that cannot be a real phone number; the message says why, for people."""


# A number already written as we store it: a plus, then digits with no leading zero.
_CANONICAL = re.compile(r"\+[1-9][0-9]{6,14}")


def _valid_canonical(text: str) -> bool:
    """Whether ``text``, already in E.164 form, is a valid number: what ``parse`` would
    conclude, at half the cost (an import checks 100,000 of these). A national number
    starting with 0, which ``parse`` may read differently, is left to ``parse``."""
    digits = text[1:]
    for length in (1, 2, 3):  # country codes are prefix-free
        code = int(digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[length:]
            break
    else:
        return False
    if national.startswith("0"):
        return False
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return phonenumbers.is_valid_number(number)


def normalise_phone(raw: str, *, region: str | None = None) -> str:
    """Return ``raw`` as E.164 (``+14155550100``) or raise InvalidPhoneNumber.

    Accepts common formats: spaces, dashes, dots, brackets, a leading ``00``; without a
    country code the number is read in ``region`` (default setting DEFAULT_PHONE_REGION).
    """
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    if not text:
        raise InvalidPhoneNumber(
            f"Enter a phone number with its country code, like {EXAMPLE_NUMBER}."
        )
    if len(text) > 32:
        raise InvalidPhoneNumber("That is too long to be a phone number.")
    if text.startswith("00"):
        text = "+" + text[2:]
    if _CANONICAL.fullmatch(text) and _valid_canonical(text):
        return text
    region = region if region is not None else (settings.DEFAULT_PHONE_REGION or None)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise InvalidPhoneNumber(
                "Add the country code, starting with + (for example +1 for the US, +44 for the UK)."
            ) from exc
        raise InvalidPhoneNumber(f"{raw!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(
            f"{raw!r} is not a valid number for its country; check the digits and country code."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=20_000)
def format_phone(e164: str) -> str:
    """A readable international form for screens (``+1 415-555-0100``). Kept per number: a
    list draws fifty on every refresh, and ``phonenumbers`` takes 0.1 ms for each."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def region_choices() -> list[tuple[str, str]]:
    """Every region ``phonenumbers`` knows, as ``("GB", "GB +44")``, sorted by code."""
    return [
        (region, f"{region} +{phonenumbers.country_code_for_region(region)}")
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]

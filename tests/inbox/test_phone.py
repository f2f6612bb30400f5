import pytest

from inbox.phone import InvalidPhoneNumber, normalise_phone


@pytest.mark.parametrize(
    "raw",
    [
        "+1 (202) 555-0123",
        "+12025550123",
        "001 202 555 0123",
        "+1.202.555.0123",
        "whatsapp:+12025550123",
    ],
)
def test_common_formats_normalise_to_e164(raw):
    assert normalise_phone(raw) == "+12025550123"


def test_a_number_without_country_code_uses_the_default_region(settings):
    settings.DEFAULT_PHONE_REGION = "GB"
    assert normalise_phone("07911 123456") == "+447911123456"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "country code"),
        ("2025550123", "country code"),
        ("+1 555 123", "not a valid number"),
        ("hello", "not a phone number"),
        ("+" + "1" * 40, "too long"),
    ],
)
def test_malformed_numbers_are_refused_with_a_reason(raw, reason):
    with pytest.raises(InvalidPhoneNumber, match=reason):
        normalise_phone(raw)

import random
import re

import phonenumbers
import pytest
from django import forms

from inbox.pure.phone import InvalidPhoneNumber, normalise_phone


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


def _parsed_in_full(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _ours(text: str) -> str | None:
    try:
        return normalise_phone(text)
    except InvalidPhoneNumber:
        return None


def test_a_number_already_in_e164_is_judged_as_a_full_parse_judges_it():
    # The shortcut for E.164 input (what an import mostly holds) against phonenumbers' own
    # parse: every region's example numbers of every type, then the same with their last
    # digits changed, or a national prefix (any one or two digits) written after the code.
    rng = random.Random(15)
    examples = {
        phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        for region in phonenumbers.SUPPORTED_REGIONS
        for kind in range(phonenumbers.PhoneNumberType.VOICEMAIL + 1)
        if (example := phonenumbers.example_number_for_type(region, kind))
    }
    assert len(examples) > 900
    variants = set(examples)
    for text in examples:
        number = phonenumbers.parse(text, None)
        code, national = str(number.country_code), phonenumbers.national_significant_number(number)
        for digits in (1, 3, 5):
            tail = "".join(rng.choice("0123456789") for _ in range(digits))
            variants.add(text[:-digits] + tail)
        prefix = rng.choice(["0", "1", "8", "9", "06", "15"])
        variants.add(f"+{code}{prefix}{national}")
    for text in variants:
        assert _ours(text) == _parsed_in_full(text), text


# A number written in a form's help or placeholder ("for example +44 7911 123456").
EXAMPLE = re.compile(r"\+\d[\d ().-]{6,}\d")


def _form_classes() -> list[type[forms.Form]]:
    import inbox.forms.compose
    import inbox.forms.contacts
    import inbox.forms.hours
    import inbox.forms.replies
    import inbox.forms.whatsapp
    import simulator.views

    modules = (
        inbox.forms.compose,
        inbox.forms.contacts,
        inbox.forms.hours,
        inbox.forms.replies,
        inbox.forms.whatsapp,
        simulator.views,
    )
    return [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, forms.BaseForm)
        and value.__module__ == module.__name__
    ]


def test_every_example_number_in_our_forms_passes_our_own_check():
    examples = {
        (form.__name__, name, number)
        for form in _form_classes()
        for name, field in form.base_fields.items()
        for text in (str(field.help_text), str(field.widget.attrs.get("placeholder", "")))
        for number in EXAMPLE.findall(text)
    }
    assert examples  # the forms do give examples
    refused = [example for example in examples if _ours(example[2]) is None]
    assert refused == []

"""The bench's phone numbers: every one valid and unique, so the import measures 1 % bad rows
(the ones it plants), not numbers the generator got wrong."""

from bench.contact_import import NEW_NUMBERS_FROM
from bench.dataset import phone_number
from inbox.pure.phone import normalise_phone


def test_the_data_sets_and_the_imports_numbers_are_valid_and_never_repeat():
    # Every 11th index, so all four countries, at both ends of the indexes in use.
    indexes = [*range(0, 150_000, 11), *range(NEW_NUMBERS_FROM, NEW_NUMBERS_FROM + 210_000, 11)]
    numbers = [phone_number(i) for i in indexes]
    assert {n[:3] for n in numbers if not n.startswith("+1")} == {"+44", "+49", "+33"}
    assert len(set(numbers)) == len(numbers)
    assert all(normalise_phone(number) == number for number in numbers)

"""A customer is an address on a channel: finding contacts by their identities.

Every lookup of "who is at this address" goes through here. (A contact's main address
columns, ``phone_e164``, ``whatsapp_id`` and ``email``, get their identity when the contact
is saved with them: ``Contact.save``.)
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from ..models import Contact, ContactIdentity, IdentityKind
from ..models.contacts import MAIN_COLUMNS, NUMBER_KINDS


def identity_find(*, address: str, kinds: Sequence[str]) -> ContactIdentity | None:
    """The identity at ``address`` of the first of ``kinds`` that has one (one query)."""
    found = {
        identity.kind: identity
        for identity in ContactIdentity.objects.select_related("contact").filter(
            kind__in=kinds, address=address
        )
    }
    return next((found[kind] for kind in kinds if kind in found), None)


def identity_for(
    *, kind: str, address: str, finds_kinds: Sequence[str] = (), display_name: str = ""
) -> tuple[ContactIdentity, bool]:
    """The identity of ``kind`` at ``address``, and whether its contact is new.

    An identity of that kind is used as it is. Otherwise a contact known at the same address
    as another of ``finds_kinds`` (a WhatsApp customer known by their phone number) gets
    this identity too; otherwise a new contact is created with it. A number's new contact
    has it as its phone (``phone_e164``) as well. Safe for concurrent callers: the second
    waits on the first one's insert, then uses its rows.
    """
    kinds = [kind, *(k for k in finds_kinds if k != kind)]
    identity = identity_find(address=address, kinds=kinds)
    if identity is not None and identity.kind == kind:
        return identity, False
    if identity is not None:
        return identity_add(contact=identity.contact, kind=kind, address=address), False
    try:
        with transaction.atomic():
            # A number is the new contact's phone too; another address its main one of
            # that kind. Saving the contact with it adds that identity.
            column = "phone_e164" if kind in NUMBER_KINDS else MAIN_COLUMNS.get(kind)
            contact = Contact.objects.create(
                display_name=display_name[:200], **({column: address} if column else {})
            )
            identity = identity_add(contact=contact, kind=kind, address=address)
    except IntegrityError:
        # Another worker created the contact at this address first.
        return identity_for(kind=kind, address=address, finds_kinds=finds_kinds), False
    return identity, True


def identity_add(*, contact: Contact, kind: str, address: str) -> ContactIdentity:
    """Give ``contact`` the identity ``kind``/``address`` (kept when it has it already).

    An address another contact holds stays theirs: that identity is returned unchanged
    (merge the two contacts to bring it over, F-CT4).
    """
    identity, _ = ContactIdentity.objects.get_or_create(
        kind=kind, address=address, defaults={"contact": contact}
    )
    return identity


def contact_for_number(phone: str, *, display_name: str = "") -> tuple[Contact, bool]:
    """The contact reached at the number ``phone`` (any of their numbers, F-CT4), created
    when nobody has it; returns (contact, created)."""
    identity, created = identity_for(
        kind=IdentityKind.PHONE,
        address=phone,
        finds_kinds=NUMBER_KINDS,
        display_name=display_name,
    )
    return identity.contact, created

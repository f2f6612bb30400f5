"""The contacts pages (F-CT1, F-CT3): list, one contact, create and edit, CSV in and out.

Contacts are organisation-wide: every signed-in user sees them. A contact's conversations
are shown only where the reader may open them.
"""

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ..forms.contacts import ContactForm, NewContactForm
from ..models import Contact, Label
from ..selectors.contacts import (
    Consent,
    ContactCursor,
    ContactFilters,
    consent_history,
    contact_conversations,
    contact_history,
    contacts_page,
    contacts_suggest,
    picker_names,
)
from ..selectors.window import contact_with_details
from ..services.contact_export import contacts_export_rows
from ..services.contacts import ContactRefused, contact_create, contact_update


def _filters_context(request: HttpRequest) -> dict:
    filters = ContactFilters.from_query(request.GET)
    contacts, cursor = contacts_page(
        filters=filters, after=ContactCursor.decode(request.GET.get("after"))
    )
    return {
        "filters": filters,
        "contacts": contacts,
        "next_cursor": cursor.encode() if cursor else "",
        "query": filters.as_params(),
        "labels": Label.objects.only("name"),
        "consent_choices": Consent.CHOICES,
    }


@require_GET
@login_required
def contacts_list(request: HttpRequest) -> HttpResponse:
    context = _filters_context(request)
    if request.htmx and request.GET.get("after"):
        return render(request, "contacts/partials/contact_rows.html", context)
    return render(request, "contacts/list.html", context)


def _contact(public_id: str) -> Contact:
    return get_object_or_404(Contact, public_id=public_id)


@require_GET
@login_required
def contact_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    contact = contact_with_details(_contact(public_id))
    context = {
        "contact": contact,
        "conversations": contact_conversations(user=request.user, contact=contact),
        "history": contact_history(contact=contact),
        "consents": consent_history(contact=contact),
    }
    return render(request, "contacts/detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def contact_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    contact = _contact(public_id)
    form = ContactForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        contact_update(contact=contact, by=request.user, **form.changes())
        return redirect("inbox:contact_detail", public_id=public_id)
    context = {"contact": contact, "form": form} | picker_names()
    return render(request, "contacts/edit.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def contact_new(request: HttpRequest) -> HttpResponse:
    form = NewContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = contact_create(by=request.user, **form.changes())
        except ContactRefused as refused:
            form.add_error("phone", str(refused))
        else:
            return redirect("inbox:contact_detail", public_id=contact.public_id)
    context = {"contact": None, "form": form} | picker_names()
    return render(request, "contacts/edit.html", context, status=422 if form.errors else 200)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@login_required
def contacts_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV, streamed (UTF-8 with a BOM, so spreadsheets read accents)."""
    filters = ContactFilters.from_query(request.GET)
    writer = csv.writer(_Echo())
    rows = contacts_export_rows(by=request.user, filters=filters)
    header = writer.writerow(next(rows))  # records the export before the response starts

    def lines():
        yield "\ufeff" + header
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="contacts.csv"'
    return response


@require_GET
@login_required
def contact_suggest(request: HttpRequest) -> HttpResponse:
    """The new-conversation autocomplete: contacts by name or number, each with the number
    picking it writes to (a secondary number when that is what was typed)."""
    contacts = contacts_suggest(text=request.GET.get("phone", ""))
    return render(request, "contacts/partials/suggestions.html", {"suggestions": contacts})

"""Merging two contacts (F-CT4): pick the other contact, confirm side by side, merge.

Admins only (``contact_merge.check_may_merge``): anyone else is told so and sees nothing of
the other contact's conversations.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ..models import Contact
from ..selectors.contacts import contacts_suggest, merge_sides
from ..services.contact_merge import MergeRefused, check_may_merge, contacts_merge, merge_plan


def _refused(request: HttpRequest, contact: Contact, refused: MergeRefused) -> HttpResponse:
    context = {"contact": contact, "refusal": str(refused)}
    return render(request, "contacts/merge_refused.html", context, status=403)


@require_GET
@login_required
def merge_pick(request: HttpRequest, public_id: str) -> HttpResponse:
    """Search the contact to merge with this one, by name, number, email or contact id."""
    contact = get_object_or_404(Contact, public_id=public_id)
    try:
        check_may_merge(user=request.user)
    except MergeRefused as refused:
        return _refused(request, contact, refused)
    query = request.GET.get("q", "").strip()[:100]
    candidates = [c for c in contacts_suggest(text=query) if c.pk != contact.pk]
    context = {"contact": contact, "query": query, "candidates": candidates}
    if request.htmx:
        return render(request, "contacts/partials/merge_candidates.html", context)
    return render(request, "contacts/merge_pick.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def merge_confirm(request: HttpRequest, public_id: str, other_id: str) -> HttpResponse:
    """GET: both contacts side by side and what the merge will do; POST: merge ``other_id``
    into ``public_id`` and land on the kept contact."""
    found = Contact.objects.in_bulk([public_id, other_id], field_name="public_id")
    if public_id not in found or other_id not in found:
        raise Http404("No such contact")
    kept, merged = found[public_id], found[other_id]
    try:
        check_may_merge(user=request.user)
        if request.method == "POST":
            contacts_merge(kept=kept, merged=merged, by=request.user)
            messages.success(request, f"{merged.shown_name} merged into {kept.shown_name}.")
            return redirect("inbox:contact_detail", public_id=kept.public_id)
        plan = merge_plan(kept=kept, merged=merged)
    except MergeRefused as refused:
        return _refused(request, kept, refused)
    context = {"plan": plan} | merge_sides(kept=kept, merged=merged)
    return render(request, "contacts/merge_confirm.html", context)

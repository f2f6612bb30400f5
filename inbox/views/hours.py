"""The business hours settings page (admins): hours, holidays, sender overrides, auto-replies."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ..forms.hours import HolidayForm, OrganisationHoursForm, SenderHoursForm
from ..models import Holiday, Organisation, SenderId
from ..selectors.hours import hours_overview
from ..services import hours_settings


def admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admins only; anyone else gets a 404, as for every object they may not see."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_admin:
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


def _page(request: HttpRequest, *, hours_form=None, holiday_form=None, status=200):
    organisation = Organisation.load()
    context = {
        "overview": hours_overview(organisation=organisation),
        "hours_form": hours_form or OrganisationHoursForm(organisation=organisation),
        "holiday_form": holiday_form or HolidayForm(),
    }
    return render(request, "inbox/hours_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@admin_only
def hours_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    form = OrganisationHoursForm(request.POST, organisation=Organisation.load())
    if not form.is_valid():
        return _page(request, hours_form=form, status=422)
    data = form.cleaned_data
    hours_settings.organisation_hours_update(
        by=request.user,
        enabled=data["hours_enabled"],
        time_zone=data["time_zone"],
        week=data["week"],
        out_of_hours_reply=data["out_of_hours_reply"],
        greeting=data["greeting"],
    )
    messages.success(request, "Business hours saved.")
    return redirect("inbox:hours_settings")


@require_POST
@admin_only
def holiday_add(request: HttpRequest) -> HttpResponse:
    form = HolidayForm(request.POST)
    if not form.is_valid():
        return _page(request, holiday_form=form, status=422)
    hours_settings.holiday_add(
        by=request.user,
        day=form.cleaned_data["date"],
        name=form.cleaned_data["name"],
        recurring=form.cleaned_data["recurring"],
    )
    messages.success(request, "Holiday added.")
    return redirect("inbox:hours_settings")


@require_POST
@admin_only
def holiday_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    holiday = get_object_or_404(Holiday, public_id=public_id)
    hours_settings.holiday_remove(by=request.user, holiday=holiday)
    messages.success(request, "Holiday removed.")
    return redirect("inbox:hours_settings")


@require_http_methods(["GET", "POST"])
@admin_only
def sender_hours_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    sender = get_object_or_404(SenderId, public_id=public_id)
    form = SenderHoursForm(request.POST or None, sender=sender)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        hours_settings.sender_hours_update(
            by=request.user,
            sender=sender,
            hours=data["hours"],
            time_zone=data["hours_time_zone"],
            week=data["week"],
            auto_replies=data["auto_replies"],
            out_of_hours_reply=data["out_of_hours_reply"],
            greeting=data["greeting"],
        )
        messages.success(request, f"Hours of {sender} saved.")
        return redirect("inbox:hours_settings")
    status = 422 if form.errors else 200
    return render(
        request, "inbox/sender_hours.html", {"sender": sender, "form": form}, status=status
    )

"""The profile page: each user sets their own time zone and changes their password."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ..profile_forms import TimeZoneForm
from ..services.profile import user_time_zone_set


def _page(request: HttpRequest, *, zone_form=None, password_form=None, status=200):
    context = {
        "zone_form": zone_form or TimeZoneForm(initial={"time_zone": request.user.time_zone}),
        "password_form": password_form or PasswordChangeForm(request.user),
        "now": timezone.now(),
        "time_zone_name": timezone.get_current_timezone_name(),
    }
    return render(request, "inbox/profile.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        return _page(request, zone_form=form, status=422)
    user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
    messages.success(request, f"Times are now shown in {form.cleaned_data['time_zone']}.")
    return redirect("inbox:profile")


@sensitive_post_parameters()
@require_POST
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Django's password change form, with the password validators of the settings; the
    user stays signed in here and is signed out everywhere else."""
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _page(request, password_form=form, status=422)
    update_session_auth_hash(request, form.save())
    messages.success(request, "Your password was changed.")
    return redirect("inbox:profile")

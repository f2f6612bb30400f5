"""The profile page: each user sets their own time zone and changes their password."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.cache import caches
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ..forms.profile import TimeZoneForm
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


def _wrong_passwords_key(user) -> str:
    return f"password-change-wrong:{user.pk}"


def _wrong_passwords(user) -> int:
    try:
        return caches["shared"].get(_wrong_passwords_key(user), 0)
    except Exception:  # the shared cache unreachable: this process's count
        return caches["default"].get(_wrong_passwords_key(user), 0)


def _wrong_password_counted(user) -> None:
    from converse.password_reset import _counted

    _counted(_wrong_passwords_key(user), int(settings.AXES_COOLOFF_TIME.total_seconds()))


@sensitive_post_parameters()
@require_POST
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Django's password change form, with the password validators of the settings; the
    user stays signed in here and is signed out everywhere else.

    The current password is asked for as at sign-in, and guessed no more often: after
    ``AXES_FAILURE_LIMIT`` wrong ones the form is refused until the lockout time has passed
    (the sign-in throttle never sees this form, so a borrowed session could otherwise try
    passwords without end)."""
    form = PasswordChangeForm(request.user, request.POST)
    if _wrong_passwords(request.user) >= settings.AXES_FAILURE_LIMIT:
        # Never checked, so a right guess answers as a wrong one does.
        form = PasswordChangeForm(request.user, {})
        form._errors = ErrorDict(
            {NON_FIELD_ERRORS: form.error_class(["Too many wrong passwords: try again later."])}
        )
        return _page(request, password_form=form, status=429)
    if not form.is_valid():
        if "old_password" in form.errors:
            _wrong_password_counted(request.user)
        return _page(request, password_form=form, status=422)
    update_session_auth_hash(request, form.save())
    messages.success(request, "Your password was changed.")
    return redirect("inbox:profile")

"""F-RP1: the reports page for admins and its CSV export."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from ..reports.export import export_lines
from ..reports.figures import duration
from ..reports.kept import report
from ..reports.periods import PRESET_CHOICES, ReportQuery

# Chart.js, installed from npm by ``make install`` (see README); without it the page shows
# its figures as tables only.
CHART_JS = "vendor/chart.js/chart.umd.min.js"


def admins_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Agents who open the reports get a page that says they are for admins (403): the
    page's existence is no secret (every admin's top bar links to it), unlike an object
    named in a URL, which stays a 404 for those who may not see it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_admin:
            return render(request, "inbox/reports_for_admins.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _report_query(request: HttpRequest) -> ReportQuery:
    return ReportQuery.from_query(
        request.GET, tz=timezone.get_current_timezone(), today=timezone.localdate()
    )


@require_GET
@login_required
@admins_only
def reports(request: HttpRequest) -> HttpResponse:
    query = _report_query(request)
    context = {
        "report": report(query=query, refresh=request.GET.get("refresh") == "1"),
        "presets": PRESET_CHOICES,
        "export_url": f"?{urlencode(query.as_params())}",
        "kept_for": duration(settings.REPORTS_CACHE_SECONDS),
        "refresh_url": f"?{urlencode(query.as_params() | {'refresh': '1'})}",
        "chart_script": CHART_JS if finders.find(CHART_JS) else "",
        "time_zone_name": timezone.get_current_timezone_name(),
    }
    return render(request, "inbox/reports.html", context)


@require_GET
@login_required
@admins_only
def reports_export(request: HttpRequest) -> StreamingHttpResponse:
    query = _report_query(request)
    period = query.period
    name = f"conversations-{period.first.isoformat()}-to-{period.last.isoformat()}.csv"
    response = StreamingHttpResponse(
        export_lines(query=query, base_url=request.build_absolute_uri("/").rstrip("/")),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

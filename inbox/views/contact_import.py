"""CSV import of contacts (F-CT3): upload, map the columns, watch it run, get the errors.

An import is seen only by the user who uploaded it (and admins); for anyone else it is 404.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..models import ContactImport, CustomField, User
from ..services.contact_import import (
    TARGETS,
    ImportRefused,
    guess_target,
    import_create,
    import_preview,
    import_start,
    may_change_consent,
)


def _import_for(user: User, public_id: str) -> ContactImport:
    qs = ContactImport.objects.select_related("created_by").filter(public_id=public_id)
    if not user.is_admin:
        qs = qs.filter(created_by=user)
    contact_import = qs.first()
    if contact_import is None:
        raise Http404("No such import")
    return contact_import


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose a CSV file to import."
        elif upload.size > settings.CONTACT_IMPORT_MAX_BYTES:
            limit_mb = settings.CONTACT_IMPORT_MAX_BYTES // (1024 * 1024)
            error = f"The file is larger than {limit_mb} MB: split it into smaller files."
        else:
            try:
                contact_import = import_create(
                    by=request.user, file_name=upload.name or "", data=upload.read()
                )
            except ImportRefused as refused:
                error = str(refused)
            else:
                return redirect("inbox:contact_import", public_id=contact_import.public_id)
    context = {"error": error, "limit_mb": settings.CONTACT_IMPORT_MAX_BYTES // (1024 * 1024)}
    return render(request, "contacts/import_upload.html", context, status=422 if error else 200)


def _targets(*, consent: bool) -> list[tuple[str, str]]:
    fields = [(f"field:{f.name}", f"Custom field “{f}”") for f in CustomField.objects.all()]
    targets = [(value, text) for value, text in TARGETS.items() if consent or value != "consent"]
    return [*targets, *fields]


def _preview_context(contact_import: ContactImport, mapping: dict | None = None) -> dict:
    header, rows = import_preview(contact_import)
    mapping = mapping or contact_import.mapping
    consent = may_change_consent(contact_import.created_by)
    targets = _targets(consent=consent)
    known = {value for value, _ in targets}
    columns = []
    for i, name in enumerate(header):
        chosen = mapping.get(str(i), "")
        options = targets if chosen in known else [*targets, (chosen, f"New custom field “{name}”")]
        columns.append({"index": i, "name": name, "chosen": chosen, "options": options})
    problems = sorted(contact_import.row_problems.items(), key=lambda item: int(item[0]))
    return {
        "contact_import": contact_import,
        "columns": columns,
        "rows": rows,
        # Consent columns an agent's import ignores, named on the preview.
        "consent_ignored": []
        if consent
        else [name for name in header if guess_target(name) == "consent"],
        "problems": problems[:10],
        "problems_more": max(0, len(problems) - 10),
        # What the button offers: the rows left out are not imported.
        "importable_rows": max(0, contact_import.total_rows - len(problems)),
    }


@require_GET
@login_required
def import_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """The preview (before it starts), then the progress, then the outcome. The progress
    partial asks again every second while the import runs."""
    contact_import = _import_for(request.user, public_id)
    if request.htmx and contact_import.state != ContactImport.State.PREVIEW:
        return render(
            request, "contacts/partials/import_progress.html", {"contact_import": contact_import}
        )
    context = {"contact_import": contact_import}
    if contact_import.state == ContactImport.State.PREVIEW:
        context |= _preview_context(contact_import)
    return render(request, "contacts/import_detail.html", context)


@require_POST
@login_required
def import_run(request: HttpRequest, public_id: str) -> HttpResponse:
    contact_import = _import_for(request.user, public_id)
    mapping = {
        key[len("col_") :]: value for key, value in request.POST.items() if key.startswith("col_")
    }
    try:
        import_start(contact_import=contact_import, mapping=mapping)
    except ImportRefused as refused:
        context = _preview_context(contact_import, mapping) | {"error": str(refused)}
        return render(request, "contacts/import_detail.html", context, status=422)
    return redirect("inbox:contact_import", public_id=public_id)


@require_GET
@login_required
def import_errors(request: HttpRequest, public_id: str) -> HttpResponse:
    """The rows left out, with their row numbers and reasons (UTF-8 with a BOM)."""
    contact_import = _import_for(request.user, public_id)
    if contact_import.state != ContactImport.State.DONE:
        raise Http404("The import has not finished")
    response = HttpResponse(
        "\ufeff" + contact_import.errors_csv, content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="import-errors.csv"'
    return response

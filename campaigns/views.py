"""The campaign pages (/campaigns/): list, form, live estimate, page with figures, actions."""

import csv
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, When
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from inbox.models import Channel, WhatsAppTemplate

from . import services
from .audience import (
    BUILT_IN_FIELDS,
    OPERATORS,
    audience_contacts,
    audience_description,
    contact_values,
    cost_estimate,
    custom_values_for,
    field_choices,
    message_for,
)
from .figures import campaign_figures
from .forms import FIXED, CampaignForm, condition_rows, initial_of
from .models import Campaign, CampaignSettings
from .selectors import (
    FIGURE_NAMES,
    campaign_export_rows,
    campaign_recipients,
    campaigns_visible,
)

PREVIEW_CHOICES = 20


def campaigners_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admins, and standard users when the organisation allows it; others get a 404."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not services.can_run_campaigns(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


def _campaign_for(request: HttpRequest, public_id: str) -> Campaign:
    """The campaign, if the user may see it (404 otherwise, never a leak)."""
    return get_object_or_404(campaigns_visible(request.user), public_id=public_id)


@require_http_methods(["GET"])
@campaigners_only
def campaign_list(request: HttpRequest) -> HttpResponse:
    rows = list(campaigns_visible(request.user)[:200])
    return render(request, "campaigns/list.html", {"campaigns": rows})


@require_http_methods(["GET", "POST"])
@campaigners_only
def campaign_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, campaign=None)


@require_http_methods(["GET", "POST"])
@campaigners_only
def campaign_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    campaign = _campaign_for(request, public_id)
    if not campaign.is_editable or not services.can_manage(request.user, campaign):
        messages.error(request, "This campaign has started: duplicate it to change it.")
        return redirect("campaigns:detail", campaign.public_id)
    return _form_page(request, campaign=campaign)


def _form_page(request: HttpRequest, *, campaign: Campaign | None) -> HttpResponse:
    if request.method == "GET":
        initial = initial_of(campaign) if campaign else _new_initial(request)
        form = CampaignForm(initial=initial, user=request.user)
        return _render_form(request, form, campaign)
    form = CampaignForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_form(request, form, campaign, status=422)
    data = form.cleaned_data
    try:
        saved = services.campaign_save(
            by=request.user,
            campaign=campaign,
            name=data["name"],
            channel=data["channel"],
            senders=list(data["senders"]),
            labels=list(data["labels"]),
            consent=data["consent"],
            last_contact_days=data["last_contact_days"],
            conditions=form.conditions,
            contact_list=data["contact_list"],
            body=data["body"],
            template=data["template"],
            variables=form.variables,
            starts_at=data["starts_at"],
            replies_to_owner=data["replies_to_owner"],
        )
    except services.CampaignRefused as refused:
        form.add_error(None, str(refused))
        return _render_form(request, form, campaign, status=422)
    messages.success(request, "Campaign saved. Check its audience, then launch it.")
    return redirect("campaigns:detail", saved.public_id)


def _new_initial(request: HttpRequest) -> dict:
    """A new campaign's form; ``?list=`` (from an import's page) picks that uploaded list."""
    initial: dict = {"replies_to_owner": True}
    if chosen := request.GET.get("list", "")[:16]:
        initial["contact_list"] = (
            services.campaign_lists(request.user).filter(public_id=chosen).first()
        )
    return initial


def _render_form(request, form: CampaignForm, campaign: Campaign | None, status: int = 200):
    if form.is_bound:
        estimate = _estimate_of_form(form)
        conditions = form.conditions
    else:
        draft = campaign or Campaign(contact_list=form.initial.get("contact_list"))
        estimate = _estimate(draft, labels=form.initial.get("labels") or [])
        conditions = draft.conditions
    context = {
        "form": form,
        "campaign": campaign,
        "condition_rows": condition_rows(conditions),
        # The custom fields, as the estimate's field choices read them.
        "condition_fields": [f for f in estimate["field_choices"] if f[0] not in BUILT_IN_FIELDS],
        "operators": OPERATORS,
        **estimate,
    }
    return render(request, "campaigns/form.html", context, status=status)


@require_http_methods(["POST"])
@campaigners_only
def campaign_estimate(request: HttpRequest) -> HttpResponse:
    """The form's live panel: audience count, segments and cost, a preview, the template's
    variables (htmx, on every change of the form)."""
    form = CampaignForm(request.POST, user=request.user)
    form.is_valid()
    return render(request, "campaigns/partials/estimate_response.html", _estimate_of_form(form))


def _estimate_of_form(form: CampaignForm) -> dict:
    """The live panel for the form as filled so far (valid or not)."""
    data = form.cleaned_data
    draft = Campaign(
        channel=data.get("channel", Channel.SMS),
        consent=data.get("consent", ""),
        last_contact_days=data.get("last_contact_days"),
        conditions=form.conditions,
        contact_list=data.get("contact_list"),
        body=data.get("body") or "",
        template=data.get("template"),
        variables=form.variables,
    )
    return _estimate(
        draft, labels=data.get("labels") or [], preview_for=form.data.get("preview_for", "")
    )


def _estimate(campaign: Campaign, *, labels, preview_for: str = "") -> dict:
    """Audience count, segments and cost, and the message as one recipient would get it."""
    audience = audience_contacts(
        label_ids=[label.pk for label in labels],
        consent=campaign.consent,
        last_contact_days=campaign.last_contact_days,
        conditions=campaign.conditions,
        contact_list_id=campaign.contact_list_id,
    )
    count = audience.count()
    settings = CampaignSettings.load()
    sms = campaign.channel == Channel.SMS
    named_first = Case(When(display_name="", then=1), default=0)
    choices = list(audience.order_by(named_first, "display_name", "pk")[:PREVIEW_CHOICES])
    chosen = next((c for c in choices if c.public_id == preview_for), None)
    chosen = chosen or (choices[0] if choices else None)
    preview, missing = "", []
    if chosen is not None and (campaign.body if sms else campaign.template_id):
        values = contact_values(chosen, custom_values_for([chosen.pk])[chosen.pk])
        preview, _, missing = message_for(campaign, values)
    return {
        "audience_count": count,
        "estimate": cost_estimate(campaign.body if sms else "", count, settings.price_per_segment),
        "currency": settings.currency,
        "preview": preview,
        "preview_missing": missing,
        "preview_choices": choices,
        "preview_for": chosen,
        "template": campaign.template,
        "variable_rows": _variable_rows(campaign.template, campaign.variables),
        "field_choices": field_choices(),
        "fixed": FIXED,
    }


def _variable_rows(template: WhatsAppTemplate | None, mapping: dict) -> list[dict]:
    """Each template variable with its source as the form shows it."""
    if template is None:
        return []
    rows = []
    for variable in template.variables:
        source = mapping.get(variable) or {}
        rows.append(
            {
                "name": variable,
                "field": source.get("field") or (FIXED if source.get("value") else ""),
                "value": source.get("value", ""),
                "sample": template.default_values.get(variable, ""),
            }
        )
    return rows


@require_http_methods(["GET"])
@campaigners_only
def campaign_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    campaign = _campaign_for(request, public_id)
    figure = request.GET.get("figure", "audience")
    if figure not in FIGURE_NAMES:
        figure = "audience"
    try:
        after = max(int(request.GET.get("after", 0)), 0)
    except ValueError:
        after = 0
    context = {
        "campaign": campaign,
        "can_manage": services.can_manage(request.user, campaign),
        "audience": audience_description(campaign),
        "figures": campaign_figures(campaign=campaign),
        "figure_names": FIGURE_NAMES,
        "figure": figure,
        "page": campaign_recipients(campaign=campaign, figure=figure, after=after),
    }
    if request.htmx and request.htmx.target == "campaign-figures":
        return render(request, "campaigns/partials/figures.html", {**context, "oob": True})
    return render(request, "campaigns/detail.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_http_methods(["GET"])
@campaigners_only
def campaign_export(request: HttpRequest, public_id: str) -> StreamingHttpResponse:
    """Every recipient as CSV, streamed (UTF-8 with a BOM, so spreadsheets read accents)."""
    campaign = _campaign_for(request, public_id)
    writer = csv.writer(_Echo())
    rows = campaign_export_rows(campaign=campaign)

    def lines():
        yield "\ufeff" + writer.writerow(next(rows))
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.public_id}.csv"'
    return response


def _action(do: Callable, success: str) -> Callable[..., HttpResponse]:
    @require_POST
    @campaigners_only
    def view(request: HttpRequest, public_id: str) -> HttpResponse:
        campaign = _campaign_for(request, public_id)
        if not services.can_manage(request.user, campaign):
            raise Http404("No such page")
        try:
            result = do(campaign=campaign, by=request.user)
        except services.CampaignRefused as refused:
            messages.error(request, str(refused))
            return redirect("campaigns:detail", campaign.public_id)
        messages.success(request, success)
        target = result if isinstance(result, Campaign) else campaign
        return redirect("campaigns:detail", target.public_id)

    return view


campaign_launch = _action(services.campaign_launch, "Launched: sends start at its time.")
campaign_pause = _action(services.campaign_pause, "Paused: nothing more is sent until resumed.")
campaign_resume = _action(services.campaign_resume, "Resumed.")
campaign_cancel = _action(services.campaign_cancel, "Cancelled: what was not sent never will be.")
campaign_duplicate = _action(services.campaign_duplicate, "Duplicated: this is the new draft.")

"""The bot pages (F-AU5), admins only, beside the rules: the bots, one bot's settings and
steps, and one step's form."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inbox.views.hours import admin_only

from .bot import question_text
from .bot_forms import BotFlowForm, BotStepForm
from .bot_steps import KINDS, StepInvalid, flow_problems
from .managing import (
    Refused,
    bot_flow_delete,
    bot_flow_save,
    bot_step_delete,
    bot_step_move,
    bot_step_save,
)
from .models import BotFlow


def _flow(public_id: str) -> BotFlow:
    flow = BotFlow.objects.select_related("sender").filter(public_id=public_id).first()
    if flow is None:
        raise Http404("No such bot")
    return flow


def _step(flow: BotFlow, key: str) -> dict:
    step = flow.step(key)
    if step is None:
        raise Http404("No such step")
    return step


@require_GET
@admin_only
def bots_list(request: HttpRequest) -> HttpResponse:
    flows = BotFlow.objects.select_related("sender").order_by("name", "pk")
    return render(request, "automation/bots.html", {"flows": flows})


@require_http_methods(["GET", "POST"])
@admin_only
def bot_edit(request: HttpRequest, public_id: str | None = None) -> HttpResponse:
    """A bot's settings (a new bot: only them), its steps and what keeps it from running."""
    flow = _flow(public_id) if public_id else None
    form = BotFlowForm(
        request.POST or None,
        initial=BotFlowForm.initial_for(flow or BotFlow()),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            flow = bot_flow_save(by=request.user, flow=flow, **d)
        except Refused as refused:
            form.add_error(None, str(refused))
        else:
            return redirect("automation:bot", public_id=flow.public_id)
    context = {"form": form, "flow": flow}
    if flow is not None:
        context |= _steps_context(flow)
    return render(request, "automation/bot.html", context, status=422 if form.errors else 200)


def _steps_context(flow: BotFlow) -> dict:
    keys = {step["key"] for step in flow.steps}
    rows = [
        {
            "step": step,
            "kind": KINDS[step["kind"]],
            "says": question_text(step) if step["kind"] != "handover" else step.get("text", ""),
            "goes": [
                (a["label"], a["next"] or "hand over", a["next"] in keys or not a["next"])
                for a in step.get("answers", [])
            ],
            "next": step.get("next", ""),
            "next_exists": step.get("next", "") in keys,
            "first": number == 0,
            "last": number == len(flow.steps) - 1,
        }
        for number, step in enumerate(flow.steps)
    ]
    return {"rows": rows, "problems": flow_problems(flow.steps)}


@require_POST
@admin_only
def bot_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    bot_flow_delete(by=request.user, flow=_flow(public_id))
    return redirect("automation:bots")


@require_http_methods(["GET", "POST"])
@admin_only
def bot_step_edit(request: HttpRequest, public_id: str, key: str | None = None) -> HttpResponse:
    flow = _flow(public_id)
    step = _step(flow, key) if key else None
    initial = BotStepForm.initial_for(step) if step else {"kind": "message"}
    form = BotStepForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            bot_step_save(by=request.user, flow=flow, step=form.step(), replacing=key)
        except (StepInvalid, Refused) as invalid:
            form.add_error(None, str(invalid))
        else:
            return redirect("automation:bot", public_id=flow.public_id)
    context = {"form": form, "flow": flow, "step": step, "keys": [s["key"] for s in flow.steps]}
    return render(request, "automation/bot_step.html", context, status=422 if form.errors else 200)


@require_POST
@admin_only
def bot_step_remove(request: HttpRequest, public_id: str, key: str) -> HttpResponse:
    flow = _flow(public_id)
    _step(flow, key)
    try:
        bot_step_delete(by=request.user, flow=flow, key=key)
    except Refused as refused:
        return _refused(request, flow, str(refused))
    return redirect("automation:bot", public_id=flow.public_id)


@require_POST
@admin_only
def bot_step_move_view(request: HttpRequest, public_id: str, key: str) -> HttpResponse:
    flow = _flow(public_id)
    _step(flow, key)
    bot_step_move(by=request.user, flow=flow, key=key, up=request.POST.get("to") == "up")
    return redirect("automation:bot", public_id=flow.public_id)


def _refused(request: HttpRequest, flow: BotFlow, error: str) -> HttpResponse:
    form = BotFlowForm(initial=BotFlowForm.initial_for(flow))
    context = {"form": form, "flow": flow, "error": error, **_steps_context(flow)}
    return render(request, "automation/bot.html", context, status=422)

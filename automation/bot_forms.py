"""The bot pages' forms: a flow's settings, and one step (a form that fits a phone: one
column, the answers of a question written one a line)."""

from django import forms

from inbox.models import SenderId

from .bot_steps import KINDS, StepInvalid, answers_text, parse_answers
from .models import BotFlow


class BotFlowForm(forms.Form):
    name = forms.CharField(max_length=100)
    sender = forms.ModelChoiceField(
        SenderId.objects.filter(is_active=True).order_by("label", "address"),
        label="Answers on the line",
        help_text="New conversations there, and closed ones the customer writes in again.",
    )
    handover_words = forms.CharField(
        max_length=300,
        label="Words that reach a person",
        help_text="Comma-separated; any of them in a customer's message hands over at once.",
    )
    handover_reply = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Said when handing over",
    )
    misunderstood_reply = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Said when an answer is not understood",
        help_text="The question is asked again; a second answer not understood hands over.",
    )
    is_active = forms.BooleanField(required=False, label="On: the bot answers first")

    @classmethod
    def initial_for(cls, flow: BotFlow) -> dict:
        return {
            "name": flow.name,
            "sender": flow.sender_id if flow.pk else None,
            "handover_words": flow.handover_words,
            "handover_reply": flow.handover_reply,
            "misunderstood_reply": flow.misunderstood_reply,
            "is_active": flow.is_active,
        }


class BotStepForm(forms.Form):
    key = forms.CharField(
        max_length=40,
        label="Step name",
        help_text="Short, for the branches that lead here: letters, digits, - and _.",
    )
    kind = forms.ChoiceField(choices=list(KINDS.items()), label="What it does")
    text = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Message or question",
    )
    answers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Answers (questions)",
        help_text="One a line: Label | keywords -> next step. The customer may answer with "
        "its number, its label or a keyword, e.g. “Opening hours | open, when -> hours”.",
    )
    field = forms.CharField(
        required=False, max_length=50, label="Save the answer in the contact field"
    )
    next = forms.CharField(
        required=False,
        max_length=40,
        label="Then go to the step",
        help_text="Empty: the flow ends there and hands over to a person.",
    )

    @classmethod
    def initial_for(cls, step: dict) -> dict:
        return {
            "key": step["key"],
            "kind": step["kind"],
            "text": step.get("text", ""),
            "answers": answers_text(step.get("answers", [])),
            "field": step.get("field", ""),
            "next": step.get("next", ""),
        }

    def clean_answers(self) -> list[dict]:
        try:
            return parse_answers(self.cleaned_data.get("answers", ""))
        except StepInvalid as invalid:
            raise forms.ValidationError(str(invalid)) from invalid

    def step(self) -> dict:
        """The step as ``bot_steps.clean_step`` takes it."""
        d = self.cleaned_data
        return {
            "key": d["key"],
            "kind": d["kind"],
            "text": d["text"],
            "answers": d["answers"],
            "field": d["field"],
            "next": d["next"],
        }

"""The customer phone: reply as a customer while no real provider is configured."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from inbox.access import usable_sender_ids, visible_conversations
from inbox.forms import offer_senders
from inbox.models import (
    Contact,
    Conversation,
    Message,
    MessageStatus,
    Organisation,
    SenderId,
    User,
    contact_at_q,
)
from inbox.phone import InvalidPhoneNumber, normalise_phone

from .numbers import FAILING_NUMBERS
from .services import customer_reply


class CustomerReplyForm(forms.Form):
    sender = forms.ModelChoiceField(
        queryset=SenderId.objects.none(), label="To", to_field_name="public_id"
    )
    phone = forms.CharField(label="Customer's number", max_length=40)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Text as the customer…"}),
        max_length=1600,
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Only lines whose inbox the user may open: the phone shows their threads.
        offer_senders(self.fields["sender"], usable_sender_ids(user), prompt="Choose a sender ID")

    def clean_phone(self) -> str:
        # Read as every other form reads a number: without a country code, in the
        # organisation's region.
        try:
            return normalise_phone(self.cleaned_data["phone"], region=Organisation.load().region)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict:
        cleaned = super().clean()
        sender, phone = cleaned.get("sender"), cleaned.get("phone")
        if sender and phone and not customer_writable(user=self.user, sender=sender, phone=phone):
            raise forms.ValidationError(
                "You can write only as the customer of a conversation you can open, "
                "or as a new number."
            )
        return cleaned


def customer_writable(*, user: User, sender: SenderId, phone: str) -> bool:
    """May ``user`` write as ``phone`` to ``sender``? Into a conversation they may open; as a
    customer they see elsewhere, starting one; or as a number no contact has yet. Never into
    someone else's grabbed conversation, and never as a customer they cannot see (a STOP
    would opt that customer out everywhere)."""
    visible = visible_conversations(user).filter(customer_address=phone)
    if Conversation.objects.filter(sender_id=sender, customer_address=phone).exists():
        return visible.filter(sender_id=sender).exists()
    return visible.exists() or not Contact.objects.filter(contact_at_q(phone)).exists()


def _require_simulator() -> None:
    twilio_configured = settings.TWILIO_ACCOUNT_SID or settings.TWILIO_AUTH_TOKEN
    if settings.CONVERSE_PROVIDER != "simulator" or twilio_configured:
        raise Http404("The simulator is off: Twilio credentials are configured.")


@require_http_methods(["GET", "POST"])
@login_required
def customer_phone(request: HttpRequest) -> HttpResponse:
    _require_simulator()
    form = CustomerReplyForm(request.POST or None, initial=request.GET.dict(), user=request.user)
    if request.method == "POST" and form.is_valid():
        sender, phone = form.cleaned_data["sender"], form.cleaned_data["phone"]
        customer_reply(sender=sender, customer_phone=phone, body=form.cleaned_data["body"])
        url = reverse("simulator:phone")
        return redirect(f"{url}?sender={sender.public_id}&phone={phone.replace('+', '%2B')}")
    messages = []
    sender_pk, phone = request.GET.get("sender"), request.GET.get("phone")
    if sender_pk and phone:
        messages = list(
            Message.objects.filter(
                conversation__in=visible_conversations(request.user),
                conversation__sender_id__public_id=sender_pk,
                conversation__customer_address=phone,
            )
            # A message held for business hours has not reached the customer yet.
            .exclude(status=MessageStatus.SCHEDULED)
            .order_by("-created_at", "-id")[:50]
        )[::-1]
    return render(
        request,
        "simulator/phone.html",
        {"form": form, "messages": messages, "failing_numbers": FAILING_NUMBERS},
        status=422 if form.errors else 200,
    )

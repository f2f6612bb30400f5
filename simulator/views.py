"""The customer phone: reply as a customer while no real provider is configured; the
customer mail: write to the demo mailbox and read its answers (the local demo only)."""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from converse import demo_mail
from inbox.access import usable_sender_ids, visible_conversations
from inbox.forms.compose import offer_senders
from inbox.models import (
    Channel,
    Contact,
    Conversation,
    Message,
    MessageStatus,
    Organisation,
    SenderId,
    User,
    contact_at_q,
)
from inbox.pure.phone import InvalidPhoneNumber, normalise_phone

from .mail import DemoMailDown, customer_mail_send, customer_mails
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


# A mail header's value: one line. An address or a message id: printable ASCII, no spaces
# (the IMAP login sends the address as it is).
ONE_LINE = RegexValidator(r"^[^\x00-\x1f\x7f]*$", "One line, without control characters.")
PLAIN_ASCII = RegexValidator(r"^[\x21-\x7e]*$", "Printable ASCII only, without spaces.")


class CustomerMailForm(forms.Form):
    sender = forms.ModelChoiceField(
        queryset=SenderId.objects.none(), label="To", to_field_name="public_id"
    )
    name = forms.CharField(
        label="Your name (the customer's)", max_length=100, required=False, validators=[ONE_LINE]
    )
    address = forms.EmailField(label="Your address", max_length=200, validators=[PLAIN_ASCII])
    subject = forms.CharField(max_length=200, validators=[ONE_LINE])
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Write as the customer…"}),
        max_length=5000,
    )
    in_reply_to = forms.CharField(
        required=False, max_length=998, widget=forms.HiddenInput, validators=[PLAIN_ASCII]
    )
    references = forms.CharField(
        required=False, max_length=5000, widget=forms.HiddenInput, validators=[PLAIN_ASCII]
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["sender"]
        field.queryset = usable_sender_ids(user).filter(channel=Channel.EMAIL)
        # Read once: the select shows them, the page shows their answers only.
        self.mailboxes = list(field.queryset)
        field.widget.choices = [(m.public_id, field.label_from_instance(m)) for m in self.mailboxes]


def _shown_address(value) -> str:
    """The customer whose mailbox the page shows: the address asked for when it is one."""
    try:
        return CustomerMailForm.base_fields["address"].clean(value)
    except ValidationError:
        return demo_mail.CUSTOMER_ADDRESS


def _require_demo_mail() -> None:
    if not settings.DEBUG:
        raise Http404("The customer mailbox is part of the local demo (make run) only.")


@require_http_methods(["GET", "POST"])
@login_required
def customer_mail(request: HttpRequest) -> HttpResponse:
    """A customer's mail client on the demo mail servers: write to a mailbox of the demo,
    read what the agents answered."""
    _require_demo_mail()
    initial = {
        "name": demo_mail.CUSTOMER_NAME,
        "address": demo_mail.CUSTOMER_ADDRESS,
        **request.GET.dict(),
    }
    form = CustomerMailForm(request.POST or None, initial=initial, user=request.user)
    down = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer_mail_send(
                frm=data["address"],
                name=data["name"],
                to=data["sender"].address,
                subject=data["subject"],
                body=data["body"],
                in_reply_to=data["in_reply_to"],
                references=data["references"],
            )
        except DemoMailDown as error:
            down = str(error)
        else:
            django_messages.success(
                request,
                f"Sent to {data['sender'].address}: it is in the inbox within "
                f"{settings.MAILBOX_POLL_SECONDS} s, once the worker has read the mailbox.",
            )
            query = urlencode({"address": data["address"], "name": data["name"]})
            return redirect(f"{reverse('simulator:mail')}?{query}")
    address = _shown_address(form["address"].value())
    # Its answers are shown only from mailboxes the user may open.
    senders = {mailbox.address.lower() for mailbox in form.mailboxes}
    mails = []
    if not down:
        try:
            mails = customer_mails(address, senders=senders)
        except DemoMailDown as error:
            down = str(error)
    return render(
        request,
        "simulator/mail.html",
        {
            "form": form,
            "address": address,
            "mails": mails,
            "down": down,
            "mailboxes": senders,
            "demo_mail": demo_mail,
            "imap_port": demo_mail.imap_port(),
            "smtp_port": demo_mail.smtp_port(),
        },
        status=422 if form.errors else (503 if down else 200),
    )

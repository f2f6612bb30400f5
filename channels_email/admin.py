"""Mailboxes: an e-mail sender ID and its servers, added and tested by an admin."""

import ipaddress

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone

from inbox.models import Channel, SenderId

from .checks import mailbox_check
from .models import Mailbox, Security
from .secrets import MailboxKeysInvalid, password_encrypt, password_rotate


class MailboxForm(forms.ModelForm):
    """The mailbox's address and name (its sender ID) with its servers. The password is
    written only: it is never shown again, and left empty it stays as it was."""

    address = forms.EmailField(help_text="The address customers write to, e.g. support@example.com")
    label = forms.CharField(required=False, max_length=100, help_text="Shown in the inbox.")
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="The mailbox's password or app password; stored encrypted. "
        "Leave empty to keep the stored one.",
    )

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "label",
            "imap_host",
            "imap_port",
            "imap_security",
            "folder",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "username",
            "password",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["address"].initial = self.instance.sender.address
            self.fields["label"].initial = self.instance.sender.label
        else:
            self.fields["password"].required = True

    def clean_password(self) -> str:
        """The password as stored: the one typed, or the stored one, encrypted with the first
        of ``MAILBOX_KEYS`` (saving a mailbox is how a key rotation reaches it)."""
        password = self.cleaned_data["password"]
        stored = self.instance.password_encrypted
        try:
            return password_encrypt(password) if password else password_rotate(stored)
        except MailboxKeysInvalid as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict:
        """No security (the password in clear text) only for a server on this machine."""
        cleaned = super().clean()
        for server in ("imap", "smtp"):
            host = cleaned.get(f"{server}_host", "")
            if cleaned.get(f"{server}_security") == Security.NONE and host and not _local(host):
                self.add_error(
                    f"{server}_security",
                    f"Without TLS the password crosses the network readable: choose TLS or "
                    f"STARTTLS for {host} (None is for a server on this machine only).",
                )
        return cleaned

    def clean_address(self) -> str:
        address = self.cleaned_data["address"].strip().lower()
        taken = SenderId.objects.filter(address=address)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.sender_id)
        if taken.exists():
            raise forms.ValidationError("Another sender ID already has this address.")
        return address

    def save(self, commit: bool = True) -> Mailbox:
        mailbox = super().save(commit=False)
        with transaction.atomic():
            if mailbox.sender_id is None:
                mailbox.sender = SenderId(channel=Channel.EMAIL, rate_per_second=5)
            mailbox.sender.address = self.cleaned_data["address"]
            mailbox.sender.label = self.cleaned_data["label"]
            mailbox.sender.save()
            mailbox.sender_id = mailbox.sender.pk
            if self.cleaned_data["password"]:
                mailbox.password_encrypted = self.cleaned_data["password"]
            mailbox.save()
        return mailbox


def _local(host: str) -> bool:
    """Whether ``host`` is this machine (a loopback name or address)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("__str__", "imap_host", "smtp_host", "reading", "last_read_at", "last_error")
    readonly_fields = ("reading", "last_read_at", "last_error")
    change_form_template = "admin/channels_email/mailbox/change_form.html"

    @admin.display(description="New mail")
    def reading(self, mailbox: Mailbox) -> str:
        """How new mail is picked up now: over IMAP IDLE by a mail watcher, or polled."""
        if mailbox.watched_until and mailbox.watched_until > timezone.now():
            return f"IMAP IDLE (mail watcher {mailbox.watched_by})"
        return f"Polled every {settings.MAILBOX_POLL_SECONDS} s"

    def save_model(self, request, obj, form, change) -> None:
        form.save()

    def get_urls(self):
        check = self.admin_site.admin_view(self.check_view)
        return [
            path("<int:pk>/check/", check, name="channels_email_mailbox_check"),
            *super().get_urls(),
        ]

    def check_view(self, request: HttpRequest, pk: int):
        """Log in to the mailbox's IMAP and SMTP servers and say how it went."""
        change = reverse("admin:channels_email_mailbox_change", args=[pk])
        if request.method != "POST" or not self.has_change_permission(request):
            return HttpResponseRedirect(change)
        mailbox = get_object_or_404(Mailbox.objects.select_related("sender"), pk=pk)
        for ok, line in mailbox_check(mailbox):
            self.message_user(request, line, messages.SUCCESS if ok else messages.ERROR)
        return HttpResponseRedirect(change)

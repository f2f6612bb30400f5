"""Forms of the WhatsApp template picker and of WhatsApp consent."""

from django import forms

from ..access import usable_sender_ids
from ..models import Channel, ConsentRecord, SenderId, User, WhatsAppTemplate
from ..pure.phone import EXAMPLE_NUMBER, InvalidPhoneNumber, normalise_phone
from ..services.whatsapp_consent import RECORDABLE_SOURCES
from .compose import new_idempotency_key, offer_senders


class TemplateSendForm(forms.Form):
    """One text field per variable of ``template`` (``var_1``…); blanks are left to the
    send service, which names them."""

    sid = forms.CharField(widget=forms.HiddenInput, max_length=40)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, template: WhatsAppTemplate, values: dict | None = None, **kwargs):
        initial = {"sid": template.content_sid, "idempotency_key": new_idempotency_key()}
        initial |= {f"var_{v}": value for v, value in (values or {}).items()}
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.template = template
        for variable in template.variables:
            self.fields[f"var_{variable}"] = forms.CharField(
                label=f"{{{{{variable}}}}}",
                required=False,
                max_length=500,
                widget=forms.TextInput(
                    attrs={"placeholder": template.default_values.get(variable, "")}
                ),
            )

    def variable_fields(self) -> list[forms.BoundField]:
        return [self[f"var_{v}"] for v in self.template.variables]

    def values(self) -> dict[str, str]:
        return {v: self.cleaned_data.get(f"var_{v}", "") for v in self.template.variables}

    def preview(self) -> str:
        """The text with what is filled in so far (bound or initial)."""
        values = {}
        for variable in self.template.variables:
            value = self[f"var_{variable}"].value()
            if value:
                values[variable] = value
        return self.template.render(values)


class ConsentForm(forms.Form):
    source = forms.ChoiceField(
        label="How they agreed",
        choices=[(s.value, s.label) for s in RECORDABLE_SOURCES],
        initial=ConsentRecord.Source.VERBAL,
    )
    detail = forms.CharField(label="Note", max_length=200, required=False)
    granted = forms.TypedChoiceField(
        choices=[("1", "Opted in"), ("0", "Withdrawn")],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.HiddenInput,
    )


class ConsentImportForm(forms.Form):
    file = forms.FileField(
        label="CSV of phone numbers",
        help_text="One number per row, in the first column, with its country code.",
    )
    detail = forms.CharField(
        label="Where the consent comes from",
        max_length=200,
        required=False,
        help_text="For example “spring newsletter sign-up form”.",
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 2 MB.")
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                "The file is not UTF-8 text (save it as CSV UTF-8)."
            ) from exc


class NewTemplateConversationForm(forms.Form):
    """Start a WhatsApp conversation: sender, number, template (and, on the second step,
    the template's variables through TemplateSendForm)."""

    sender = forms.ModelChoiceField(
        queryset=SenderId.objects.none(), label="Send from", to_field_name="public_id"
    )
    phone = forms.CharField(
        label="Customer's number",
        max_length=40,
        help_text=f"With the country code, for example {EXAMPLE_NUMBER}.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    template = forms.ModelChoiceField(
        queryset=WhatsAppTemplate.objects.none(),
        label="Template",
        to_field_name="content_sid",
        empty_label="Choose an approved template",
    )
    consent = forms.ChoiceField(
        label="The customer's WhatsApp opt-in",
        required=False,
        choices=[("", "Already recorded")]
        + [(s.value, f"Record it now: {s.label.lower()}") for s in RECORDABLE_SOURCES],
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        offer_senders(
            self.fields["sender"],
            usable_sender_ids(user).filter(channel=Channel.WHATSAPP),
            prompt="Choose a WhatsApp sender ID",
        )
        self.fields["template"].queryset = WhatsAppTemplate.objects.filter(
            approval=WhatsAppTemplate.Approval.APPROVED
        )

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc

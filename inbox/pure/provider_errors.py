"""Provider error codes in plain words, with the action that helps (shown on the red triangle)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderError:
    code: str
    reason: str
    transient: bool = False


_ERRORS = {
    e.code: e
    for e in [
        ProviderError("20429", "The provider is busy (too many requests). Retrying.", True),
        ProviderError(
            "21211", "This phone number is not valid. Check the number and country code."
        ),
        ProviderError("21408", "Sending to this country is not enabled on the account."),
        ProviderError(
            "21610", "The customer has opted out (replied STOP). They must text START first."
        ),
        ProviderError("21612", "This number cannot be reached from this sender ID."),
        ProviderError(
            "21614", "This number cannot receive text messages (landline or invalid mobile)."
        ),
        ProviderError("21617", "The message is too long. Shorten it and send again."),
        ProviderError("21635", "This number cannot receive messages from this sender ID."),
        ProviderError("30003", "The phone is unreachable (switched off or out of coverage)."),
        ProviderError("30004", "The customer's carrier blocked the message."),
        ProviderError("30005", "The number is unknown or no longer in service. Check the number."),
        ProviderError("30006", "This number is a landline or cannot receive texts."),
        ProviderError("30007", "The carrier filtered the message as spam. Rephrase and retry."),
        ProviderError("30008", "The carrier could not deliver it for an unknown reason."),
        ProviderError(
            "63016",
            "The 24-hour WhatsApp window is closed. Send a registered template to reopen it.",
        ),
        # WhatsApp marketing limits: Meta chose not to deliver it; a retry would not either.
        ProviderError(
            "63049",
            "WhatsApp did not deliver this marketing message (Meta's limits; never to +1 "
            "numbers since April 2025).",
        ),
        ProviderError(
            "131049",
            "WhatsApp did not deliver this marketing message, to keep the customer's "
            "engagement healthy (Meta's per-user marketing limit).",
        ),
        ProviderError("21655", "The provider does not know this template (content SID)."),
        ProviderError("timeout", "The provider did not answer in time. Retrying.", True),
        ProviderError("network", "The provider could not be reached. Retrying.", True),
        ProviderError(
            "opted_out", "The customer has opted out; nothing is sent until they opt in."
        ),
    ]
}


# Our own send rules, checked again at dispatch: their reason comes with them.
OWN_RULES = frozenset({"window_closed", "no_consent", "template_not_approved"})
# Failures a channel words itself (an e-mail bounce, an SMTP server's refusal).
WORDED_BY_CHANNEL = frozenset({"bounced", "smtp_refused", "smtp_unconfirmed"})
# Codes whose way out is a registered template (the red triangle offers one).
NEEDS_TEMPLATE = frozenset({"63016", "window_closed"})


def describe(code: str, detail: str = "") -> ProviderError:
    """The known meaning of ``code``, or a generic one that keeps the provider's words."""
    code = str(code or "").strip()
    if code in OWN_RULES | WORDED_BY_CHANNEL and detail:
        return ProviderError(code, detail[:300])
    if code in _ERRORS:
        return _ERRORS[code]
    if not code:
        return ProviderError("", "The provider could not deliver the message and gave no reason.")
    if code.startswith("5") and len(code) == 3:
        return ProviderError(code, "The provider had a server error. Retrying.", True)
    reason = f"The provider refused the message (error {code})."
    if detail:
        reason = f"{reason[:-1]}: {detail}"[:300]
    return ProviderError(code, reason)

"""Campaign faults run against the fake Twilio server, as the SMS channel's faults do."""

from ...channels_sms.conftest import fake_twilio, twilio_settings  # noqa: F401

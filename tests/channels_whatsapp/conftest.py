from ..channels_sms.conftest import fake_twilio, twilio_settings  # noqa: F401
from ..inbox.whatsapp_helpers import order_template, wa_line  # noqa: F401

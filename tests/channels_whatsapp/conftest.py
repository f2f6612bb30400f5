from ..channels_sms.conftest import (  # noqa: F401
    _wake_for_every_webhook,
    fake_twilio,
    ingest,
    post_webhook,
    twilio_settings,
    whatsapp_line,
)
from ..inbox.whatsapp_helpers import order_template, wa_line  # noqa: F401

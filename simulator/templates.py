"""The simulator's registered WhatsApp templates: what a Content API account would list."""

from inbox.channels import TemplateData

DEMO_TEMPLATES = [
    TemplateData(
        content_sid="HX" + "1" * 32,
        name="order_update",
        language="en",
        body="Hi {{1}}, your order {{2}} is on its way. Reply here with any question.",
        default_values={"1": "Customer", "2": "12345"},
        category="utility",
        approval="approved",
    ),
    TemplateData(
        content_sid="HX" + "2" * 32,
        name="follow_up",
        language="en",
        body="Hello {{1}}, we are following up on your request. Is there anything else we "
        "can help with?",
        default_values={"1": "Customer"},
        category="utility",
        approval="approved",
    ),
    TemplateData(
        content_sid="HX" + "3" * 32,
        name="appointment_reminder",
        language="en",
        body="Reminder: your appointment is on {{1}} at {{2}}.",
        default_values={"1": "12/1", "2": "3pm"},
        category="utility",
        approval="approved",
    ),
    TemplateData(
        content_sid="HX" + "4" * 32,
        name="spring_sale",
        language="en",
        body="{{1}}, our spring sale starts today: 20% off everything.",
        default_values={"1": "Customer"},
        category="marketing",
        approval="pending",
    ),
]

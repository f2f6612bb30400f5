"""The demo's website (``seed_demo`` runs this): its chat is on the demo host page that
``make run`` serves on port 8001 (``demo/webchat/index.html``). Running it again changes
nothing."""

from django.core.management.base import BaseCommand

from inbox.models import User

from ...models import Website
from ...websites import website_save

DEMO_KEY = "demo"
DEMO_ORIGINS = "http://127.0.0.1:8001\nhttp://localhost:8001"


class Command(BaseCommand):
    help = "Load the demo website of the web-chat channel."

    def handle(self, *args, **options):
        if Website.objects.filter(key=DEMO_KEY).exists():
            return
        website_save(
            website=Website(
                key=DEMO_KEY,
                allowed_origins=DEMO_ORIGINS,
                greeting="Hi! Ask us anything about your order.",
                colour="#0f766e",
            ),
            name="Website chat",
            team=None,
            owner=User.objects.filter(username="alice").first(),
        )
        self.stdout.write("Demo website ready: http://127.0.0.1:8001/ shows its chat")

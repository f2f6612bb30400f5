from django.core.management.base import BaseCommand
from django.db import transaction

from campaigns.models import Campaign
from inbox.models import Label, SenderId, User


class Command(BaseCommand):
    help = "Add the demo's draft campaign (run by seed_demo): an SMS to the VIP contacts."

    @transaction.atomic
    def handle(self, *args, **options):
        admin = User.objects.filter(username="admin").first()
        sender = SenderId.objects.filter(address="+14155550199").first()
        if admin is None or sender is None or Campaign.objects.exists():
            return
        campaign = Campaign.objects.create(
            name="Winter sale preview",
            owner=admin,
            channel=sender.channel,
            body="Hi {{name}}, our winter sale opens to VIP customers first: 20% off "
            "until Friday. Reply to this message with any question.",
        )
        campaign.senders.add(sender)
        campaign.labels.add(*Label.objects.filter(name="vip"))

"""Stricter quiet hours of some US states (editable in the admin): telemarketing rules
that allow fewer hours than the federal 08:00-21:00."""

from datetime import time

from django.db import migrations

STATES = [
    ("Florida", "FL", time(8), time(20)),
    ("Oklahoma", "OK", time(8), time(20)),
    ("Connecticut", "CT", time(9), time(20)),
]


def add(apps, schema_editor):
    rule = apps.get_model("campaigns", "QuietHoursRule")
    for region, code, start, end in STATES:
        rule.objects.get_or_create(region=region, defaults={"code": code, "start": start, "end": end})


def remove(apps, schema_editor):
    apps.get_model("campaigns", "QuietHoursRule").objects.filter(
        region__in=[s[0] for s in STATES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_campaigns")]
    operations = [migrations.RunPython(add, remove)]

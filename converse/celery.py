"""The Celery application: configured from Django settings prefixed CELERY_."""

import logging
import os

from celery import Celery
from celery.signals import setup_logging, task_prerun
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "converse.settings")

app = Celery("converse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# converse itself is no Django app: its tasks (the password reset mail) are named here.
app.autodiscover_tasks(["converse"])


@task_prerun.connect
def database_connection_check(task, **_) -> None:
    """Let a task reuse its thread's database connection only while it is healthy.

    Celery opens a new database connection for every task unless ``CELERY_DB_REUSE_MAX``
    says otherwise, and a new PostgreSQL connection costs more than the send it serves.
    Reused, it is checked here as Django checks a web request's: past ``CONN_MAX_AGE``, or
    broken (the database restarted, a query was interrupted), it is closed, and the task
    opens a new one. A task run eagerly (tests, ``CELERY_TASK_ALWAYS_EAGER``) runs inside its
    caller, whose connection and transaction are left alone.
    """
    if task.request.is_eager:
        return
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
        if connection.connection is not None and not connection.is_usable():
            connection.close()


@setup_logging.connect
def logging_from_django_settings(loglevel=None, **_) -> None:
    """Workers log as the web processes do (``LOGGING``, ``LOG_FORMAT``), at the worker's
    ``--loglevel`` when one is given, instead of Celery's own format."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)

"""Shared test people and tools.

People: ``admin``; ``alice`` and ``bob``, agents in the Support team; ``carol``, an agent
with no access to anything of theirs. Sender IDs: ``alice_line`` (owned by alice),
``bob_line`` (owned by bob), ``shared_line`` (shared with alice and bob).
"""

import os
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from celery.app.task import Task
from django.core.cache import caches
from django.db import connection

from converse.redis_client import redis_client
from converse.shared_cache import redis_cache
from inbox.channels import InboundMessage
from inbox.models import Channel, Organisation, Role, SenderId, Team, TeamMode, User
from inbox.services.inbound import message_receive

REQUIRE_ALL = os.environ.get("CONVERSE_REQUIRE_SERVICES") == "1"


def pytest_sessionfinish(session, exitstatus):
    """In CI every service is present: a skipped test there is a failure."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if REQUIRE_ALL and skipped and exitstatus == 0:
        reporter.write_line(
            f"CONVERSE_REQUIRE_SERVICES=1 but {len(skipped)} test(s) skipped", red=True
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached unread counts are keyed by the database's state, reports by their query; each
    test starts without."""
    for store in caches.all():
        store.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Real password hashing costs half a second per test person; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, role: str = Role.STANDARD) -> User:
    user = User.objects.create_user(
        username=username, password=username, role=role, first_name=username.title()
    )
    return user


@pytest.fixture
def admin(db) -> User:
    Organisation.load()
    return make_user("admin", Role.ADMIN)


@pytest.fixture
def alice(db) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob")


@pytest.fixture
def carol(db) -> User:
    return make_user("carol")


@pytest.fixture
def support_team(alice, bob) -> Team:
    team = Team.objects.create(name="Support", mode=TeamMode.COLLABORATION)
    team.members.add(alice, bob)
    return team


@pytest.fixture
def alice_line(alice) -> SenderId:
    return SenderId.objects.create(
        address="+14155550100", channel=Channel.SMS, label="Alice's line", owner=alice
    )


@pytest.fixture
def bob_line(bob) -> SenderId:
    return SenderId.objects.create(
        address="+14155550101", channel=Channel.SMS, label="Bob's line", owner=bob
    )


@pytest.fixture
def shared_line(alice, bob) -> SenderId:
    sender = SenderId.objects.create(address="+14155550199", channel=Channel.SMS, label="Support")
    sender.shared_with.add(alice, bob)
    return sender


CUSTOMER = "+12025550123"


@pytest.fixture
def conversation(alice_line):
    """A customer (``CUSTOMER``) who wrote "Hello" on Alice's line: her conversation."""
    return receive(alice_line, CUSTOMER).conversation


_sid_counter = iter(range(10**9))


def receive(
    sender: SenderId,
    customer: str,
    body: str = "Hello",
    *,
    sid: str | None = None,
    received_at: datetime | None = None,
):
    """Deliver a customer message to ``sender`` through the inbound service; ``received_at``
    is when the provider posted it (default: now)."""
    inbound = InboundMessage(
        channel=sender.channel,
        provider_sid=sid or f"SMtest{next(_sid_counter):026d}",
        from_address=customer,
        to_address=sender.address,
        body=body,
    )
    message, _ = message_receive(inbound=inbound, received_at=received_at)
    return message


@dataclass
class QueuedTask:
    task: Task
    args: tuple
    kwargs: dict
    countdown: float | None


@dataclass
class TaskQueue:
    """Stands in for the broker: records what was enqueued and runs it on demand."""

    queued: list[QueuedTask] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [q.task.name for q in self.queued]

    def run_named(self, name: str) -> int:
        """Run the queued tasks called ``name``, in order, and leave the others queued."""
        mine = [q for q in self.queued if q.task.name == name]
        self.queued = [q for q in self.queued if q.task.name != name]
        for item in mine:
            item.task.apply(args=item.args, kwargs=item.kwargs, throw=False).get()
        return len(mine)

    def run_all(self, limit: int = 200) -> int:
        ran = 0
        while self.queued and ran < limit:
            item = self.queued.pop(0)
            # throw=False lets an eager retry run again at once; .get() re-raises failures.
            item.task.apply(args=item.args, kwargs=item.kwargs, throw=False).get()
            ran += 1
        return ran


@pytest.fixture
def tasks(monkeypatch) -> TaskQueue:
    queue = TaskQueue()

    def capture(task, args=None, kwargs=None, countdown=None, **options):
        queue.queued.append(QueuedTask(task, tuple(args or ()), dict(kwargs or {}), countdown))

    monkeypatch.setattr(Task, "apply_async", capture)
    return queue


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def shared_cache_on_redis(settings):
    """The "shared" cache on Redis, as in production (the suite keeps it in memory), and a
    Redis client to look at what it stores. Emptied before and after (the whole Redis db)."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL")
    settings.CACHES = settings.CACHES | {
        "shared": redis_cache(settings.REDIS_URL, prefix="converse-test")
    }
    caches["shared"].clear()
    yield redis_client(settings.REDIS_URL)
    caches["shared"].clear()


@pytest.fixture
def unwritable_shared_cache(settings, tmp_path) -> None:
    """The "shared" cache on files in a folder that cannot be made (a full or unwritable
    disk under var/, as ``make run`` keeps it): every use of it raises."""
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.CACHES = settings.CACHES | {
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(blocked),
        }
    }


@pytest.fixture(params=["redis", "cache"])
def presence_store(request, settings):
    """Who is viewing and typing, kept in Redis (production) and in Django's cache
    (``make run``): a test taking this runs on both."""
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("REDIS_URL is not set: no Redis to keep presence in")
        from inbox import presence

        redis = presence._redis()
        for key in redis.scan_iter(f"{presence.KEY_PREFIX}*"):
            redis.delete(key)
    else:
        settings.REDIS_URL = ""
    return request.param

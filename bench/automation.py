"""Cost of automation rules per inbound message: evaluating 200 active rules that do not
match (the usual case) against no rule at all, on a real conversation of the data set."""

import statistics
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from automation.models import Rule
from automation.services import rules_run
from inbox.happenings import Happening
from inbox.models import Message, MessageDirection, User

RULES = 200
GOAL_ADDED_MS = 5.0


@dataclass
class RulesResult:
    rules: int
    runs: int
    p50_ms_without: float
    p50_ms_with: float
    added_ms: float
    queries: int
    # With one rule: the same number when evaluation costs constant queries.
    queries_one_rule: int = 0
    constant_queries: bool = False
    meets_goal: bool = False


class _Undo(Exception):
    pass


def _time(message: Message, runs: int, label: str) -> tuple[float, int]:
    times = []
    queries = 0
    for i in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            rules_run(
                event=Happening.MESSAGE_RECEIVED,
                conversation_id=message.conversation_id,
                message_id=message.pk,
                cause=(),
                event_key=f"bench-{label}-{i}",
            )
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    return statistics.median(times), queries


def measure_rules(runs: int = 200) -> RulesResult:
    """Time ``rules_run`` with no rule, then with RULES rules; nothing is kept."""
    message = Message.objects.filter(direction=MessageDirection.INBOUND).order_by("pk").first()
    admin = User.objects.filter(role="admin").order_by("pk").first()
    without, _ = _time(message, runs, "none")
    result = None
    rules = [
        Rule(
            name=f"bench {i}",
            event=Happening.MESSAGE_RECEIVED,
            acts_as=admin,
            conditions={"contact_label": f"bench-{i}", "words": "zebra"},
            actions=[{"do": "add_label", "label": "bench"}],
        )
        for i in range(RULES)
    ]
    try:
        with transaction.atomic():
            Rule.objects.bulk_create(rules[:1])
            _, queries_one = _time(message, 3, "one")
            Rule.objects.bulk_create(rules[1:])
            with_rules, queries = _time(message, runs, "rules")
            added = round(with_rules - without, 2)
            result = RulesResult(
                rules=RULES,
                runs=runs,
                p50_ms_without=round(without, 2),
                p50_ms_with=round(with_rules, 2),
                added_ms=added,
                queries=queries,
                queries_one_rule=queries_one,
                constant_queries=queries == queries_one,
                meets_goal=queries == queries_one and added < GOAL_ADDED_MS,
            )
            raise _Undo
    except _Undo:
        pass
    return result

"""The bench's verdict on each page: its p95 over its goal, and the pages that miss."""

from bench.pages import FLOOR, PageResult, judged
from bench.report import goals_line, over_floor


def result(name: str, p95_ms: float, queries: str = "9") -> dict:
    page = PageResult(name, "agent", "/", requests=10, p50_ms=p95_ms, p95_ms=p95_ms)
    page.queries = queries
    return vars(judged(page))


def test_a_page_under_its_goal_meets_it():
    page = result("My Inbox", 17.5)
    assert page["goal_ratio"] == 0.5 and not page["misses_goal"]


def test_a_page_over_its_goal_misses_it():
    page = result("Search by phone", 70)
    assert page["goal_ratio"] == 2.0 and page["misses_goal"]


def test_a_fast_window_with_too_many_queries_misses_its_goal():
    page = result("Conversation window", 20, queries="12-14")
    assert page["goal_ratio"] == 0.8 and page["misses_goal"]


def test_a_page_without_a_goal_is_not_judged():
    page = result("Mentions", 500)
    assert page["goal_ratio"] is None and not page["misses_goal"]


def test_the_goals_line_names_the_pages_that_miss():
    pages = [result("My Inbox", 10), result("Search by name", 50), result("Mentions", 90)]
    line = goals_line(pages)
    assert line.startswith("Goals: 1 of 2 pages meet theirs; missing: Search by name (50.0 ms")
    assert "Mentions" not in line and "My Inbox" not in line


def test_the_goals_line_says_when_every_page_meets_its_goal():
    assert goals_line([result("My Inbox", 10)]) == (
        "Goals: all 1 pages with a goal meet it (p95 and queries)."
    )


def test_each_page_shows_its_cost_over_the_bare_view():
    assert over_floor(result("My Inbox", 12.5), 2.0) == "10.5"
    assert over_floor(result(FLOOR, 2.0), 2.0) == ""


def test_the_bot_line_gives_the_latency_and_its_verdict():
    from bench.bot import BotResult
    from bench.report import bot_line

    result = BotResult(turns=100, customers=5, p50_ms=40.0, p95_ms=80.5, max_ms=120.0)
    result.meets_goal = True
    line = bot_line(vars(result))
    assert "p50 40.0 ms, p95 80.5 ms, max 120.0 ms over 100 turns of 5 customers" in line
    assert line.endswith("(goal p95 < 1000 ms: met)")
    assert bot_line(vars(BotResult(status="failed", note="no reply"))).endswith("failed (no reply)")

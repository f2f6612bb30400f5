"""The outbound bench names what limited a run: a known bound it reached, or us."""

from bench.outbound import OutboundRun, verdict


def run(accepted: float, *, backlog: int = 0, cpu: float = 0.5, **bounds: float) -> OutboundRun:
    result = OutboundRun(
        "spread", 100, agents=8, sender_ids=50, worker_processes=1, worker_threads=8
    )
    result.accepted_per_second = accepted
    result.unsent_when_clicks_ended = backlog
    result.cpu_busy = cpu
    result.bounds = bounds
    return result


def test_a_run_at_the_provider_bound_is_limited_by_the_provider():
    assert verdict(run(75, provider=80, pacing=5000)) == "provider"


def test_the_lowest_bound_is_the_one_that_counts():
    assert verdict(run(95, provider=800, pacing=100)) == "pacing"


def test_delivery_that_kept_up_with_the_clicks_puts_the_limit_on_the_send_view():
    assert verdict(run(40, backlog=10, provider=80)) == "us: agent side (send view)"


def test_a_backlog_at_the_end_of_the_clicks_puts_the_limit_on_delivery():
    assert verdict(run(40, backlog=200, provider=80)) == "us: delivery (Celery worker)"


def test_a_saturated_cpu_is_said():
    assert verdict(run(40, backlog=200, cpu=0.97)) == (
        "us: delivery (Celery worker) on a saturated CPU"
    )

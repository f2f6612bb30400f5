"""Runs the measurements in order and lays the results out as a table."""

import argparse
import os
import time
from dataclasses import asdict

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from channels_twilio.models import InboundWebhook
from converse.celery import app as celery_app
from inbox import presence
from inbox.models import Conversation, SenderId, User

from . import (
    automation,
    bot,
    campaigns,
    contact_import,
    dataset,
    live,
    load,
    mail,
    outbound,
    pages,
    recovery,
    webchat,
    webhook,
)

SAFE_NAME = "bench"


def run(args: argparse.Namespace, *, database: str) -> dict:
    results: dict = {"database": database}
    only = set(args.only.split(","))
    results["dataset"] = prepare(args, database)
    if "pages" in only:
        chosen = [name for name in args.pages.split(",") if name]
        results["pages"] = [asdict(r) for r in pages.measure_pages(args.requests, chosen)]
        if args.explain:
            results["explain"] = explain_slowest(results["pages"])
    if "import" in only:
        results["contact_import"] = asdict(contact_import.measure_import(args.import_rows))
    if "campaigns" in only:
        results["campaign"] = asdict(campaigns.measure_campaign(min(args.requests, 50)))
    if "rules" in only:
        results["rules"] = asdict(automation.measure_rules())
    if "bot" in only:
        results["bot"] = asdict(bot.measure_bot(threads=max(args.celery_concurrency // 4, 2)))
    if only & {"limits", "webhook"}:
        results |= server_measurements(args, only)
    if "outbound" in only:
        runs = outbound.measure_outbound(
            count=args.outbound,
            agents=args.agents,
            processes=args.celery_workers,
            threads=args.celery_concurrency,
            latencies_ms=args.provider_latency_ms,
            paced_rate=args.paced_rate,
        )
        results["outbound"] = [asdict(r) for r in runs]
    if "recovery" in only:
        results["recovery"] = recovery_after_sigkill()
    if "mail" in only:
        results["mail"] = asdict(mail.measure_mail(mails=args.mails))
    if "live" in only:
        results["live"] = asdict(live.measure_live())
    if "webchat" in only:
        results["webchat"] = asdict(webchat.measure_webchat(concurrency=args.concurrency))
    return results


def recovery_after_sigkill() -> dict:
    """One agent's two SMS conversations: routing waits on the first, sends go in the second."""
    agent = User.objects.filter(role="standard", is_active=True).order_by("username").first()
    first, second = outbound.sendable(Conversation.objects.filter(owner=agent))[:2]
    # Sends flow at a short code's rate: pacing is not what this measures.
    SenderId.objects.filter(pk=second.sender_id_id).update(
        rate_per_second=outbound.SHORT_CODE_RATE, next_send_at=None
    )
    outbound.flush_broker()
    api = outbound.FakeTwilio(webhook.ACCOUNT_SID, webhook.AUTH_TOKEN).start()
    env = {
        "TWILIO_ACCOUNT_SID": webhook.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": webhook.AUTH_TOKEN,
        "TWILIO_API_BASE_URL": api.url,
    }
    try:
        run = recovery.measure_recovery(
            api=api,
            start_worker=lambda threads, beat_schedule=None: outbound.start_worker(
                env, threads, 0, queues="default,inbound", beat_schedule=beat_schedule
            ),
            inbound_conversation=first,
            send_conversation=second,
            author=agent,
        )
    finally:
        api.stop()
        outbound.flush_broker()
    return asdict(run) | {"backlog_seconds": run.backlog_seconds}


def prepare(args: argparse.Namespace, database: str) -> dict:
    """Migrate, then build the data set unless ``--reuse`` finds one of the same size."""
    base = dataset.SMALL if args.small else dataset.FULL
    sizes = dataset.Sizes(
        conversations=args.conversations or base.conversations,
        messages=args.messages or base.messages,
    )
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = round(time.perf_counter() - started, 1)
    info = {"conversations": sizes.conversations, "messages": sizes.messages}
    if args.reuse and dataset.present(sizes):
        return info | {"built": False, "note": "reused"}
    if SAFE_NAME not in database:
        raise SystemExit(f"refusing to rebuild {database!r}: its name must contain {SAFE_NAME!r}")
    print(f"building {sizes.conversations:,} conversations / {sizes.messages:,} messages …")
    built = dataset.build(sizes)
    busy = Conversation.objects.filter(
        owner__username=dataset.BUSY_AGENT, last_inbound_at__isnull=False
    ).count()
    return info | {
        "built": True,
        "build_seconds": round(built.seconds, 1),
        "migrate_seconds": migrate_seconds,
        "rows": built.rows,
        "busy_agent_inbox": busy,
    }


def server_measurements(args: argparse.Namespace, only: set[str]) -> dict:
    """Bare view, raw inserts and webhook ingest, all against one gunicorn on loopback."""
    out: dict = {}
    dsn = connection.settings_dict
    dsn_url = f"postgresql://{dsn['USER']}@{dsn['HOST']}:{dsn['PORT'] or 5432}/{dsn['NAME']}"
    port = load.free_port()
    connection.close()  # the client processes are forked from here
    with load.gunicorn(port=port, workers=args.workers, env=webhook.twilio_env(port)):
        common = {"concurrency": args.concurrency, "seconds": args.seconds}
        if "limits" in only:
            out["bare_view"] = asdict(load.http_load(port, load.bare_view, **common))
            out["raw_insert"] = asdict(load.insert_load(dsn_url, **common))
        if "webhook" in only:
            out["webhook"] = ingest(port, common, out.get("raw_insert"), out.get("bare_view"))
    return out


def ingest(port: int, common: dict, raw_insert: dict | None, bare_view: dict | None) -> dict:
    pairs = list(
        Conversation.objects.order_by("pk")
        .exclude(customer_address="")
        .values_list("customer_address", "sender_id__address")[:2000]
    )
    requests = webhook.InboundRequests(port=port, pairs=pairs)
    # Nothing queued or left unrouted by an earlier run: the worker measures this one.
    celery_app.control.purge()
    InboundWebhook.objects.filter(processed_at__isnull=True).delete()
    status = webhook.probe(requests)
    if status != 200:
        return {"status": "error", "note": f"a signed webhook got HTTP {status}"}
    connection.close()
    result = asdict(webhook.ingest(requests, **common))
    result["stored"] = InboundWebhook.objects.filter(
        message_sid__startswith=f"SM{requests.run}"
    ).count()
    if raw_insert:
        result["ratio_to_raw_insert"] = round(result["per_second"] / raw_insert["per_second"], 3)
    if bare_view:
        result["ratio_to_bare_view"] = round(result["per_second"] / bare_view["per_second"], 3)
    result["routing"] = asdict(
        webhook.route(requests.run, concurrency=os.cpu_count() or 2, seconds=common["seconds"])
    )
    return result | {"status": "ok"}


def explain_slowest(page_results: list[dict]) -> dict[str, list[str]]:
    plans: dict[str, list[str]] = {}
    for page in page_results:
        plans[page["name"]] = [p for q in page["slow_queries"] if (p := pages.explain(q["sql"]))]
    return plans


def table(results: dict) -> str:
    lines = []
    ds = results["dataset"]
    built = f"built in {ds['build_seconds']} s" if ds.get("built") else "reused"
    lines.append(
        f"Data set ({results['database']}): {ds['conversations']:,} conversations, "
        f"{ds['messages']:,} messages, {built}"
    )
    if "pages" in results:
        agent = User.objects.get(username=dataset.BUSY_AGENT)
        inbox = Conversation.objects.filter(owner=agent, last_inbound_at__isnull=False).count()
        lines.append(f"\nPages (test client; {dataset.BUSY_AGENT} has {inbox:,} in My Inbox)")
        lines.append(
            f"{'page':<32} {'user':<6} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5} "
            f"{'+floor':>7} {'goal':>9} {'×goal':>6}"
        )
        floor = next(
            (p["p95_ms"] for p in results["pages"] if p["name"] == pages.FLOOR and p["p95_ms"]),
            None,
        )
        for p in results["pages"]:
            if p["status"] != "ok":
                lines.append(f"{p['name']:<32} {p['user']:<6} {p['status']}: {p['note']}")
                continue
            lines.append(
                f"{p['name']:<32} {p['user']:<6} {p['requests']:>4} {p['p50_ms']:>8.1f} "
                f"{p['p95_ms']:>8.1f} {p['queries']:>5} {over_floor(p, floor):>7} "
                f"{goal_text(p):>9} {goal_ratio_text(p):>6}"
            )
        lines.append(goals_line(results["pages"]))
        if tab := open_tab_cost(results["pages"]):
            lines.append(tab)
    if "contact_import" in results:
        r = results["contact_import"]
        lines.append(
            f"\nCSV import: {r['rows']:,} rows in {r['seconds']} s ({r['per_second']:,.0f} rows/s; "
            f"{r['created']:,} created, {r['updated']:,} updated, {r['errors']:,} bad rows)"
        )
    if "campaign" in results:
        lines += campaign_lines(results["campaign"])
    if "rules" in results:
        r = results["rules"]
        lines.append(
            f"\nAutomation rules per inbound message: {r['rules']} active rules add "
            f"{r['added_ms']} ms (p50 {r['p50_ms_with']} ms vs {r['p50_ms_without']} ms without), "
            f"{r['queries']} queries ({r.get('queries_one_rule', '?')} with one rule); "
            f"goal: constant queries, under 5 ms added: "
            f"{'met' if r.get('meets_goal') else 'MISSED'}"
        )
    if "bot" in results:
        lines.append(bot_line(results["bot"]))
    lines.append("")
    for key, label in (
        ("bare_view", "bare Django view (gunicorn)"),
        ("raw_insert", "raw INSERT tx"),
    ):
        if key in results:
            r = results[key]
            lines.append(
                f"{label:<34} {r['per_second']:>9,.1f}/s  (c={r['concurrency']}; {cpu_cost(r)})"
            )
    if "webhook" in results:
        w = results["webhook"]
        if w["status"] == "ok":
            lines.append(
                f"{'webhook ingest (signed, gunicorn)':<34} {w['per_second']:>9,.1f}/s  "
                f"(c={w['concurrency']}, stored {w['stored']:,}, "
                f"{w.get('ratio_to_raw_insert', 0):.0%} of raw inserts, "
                f"{w.get('ratio_to_bare_view', 0):.0%} of the bare view; {cpu_cost(w)})"
            )
            r = w["routing"]
            lines.append(
                f"{'  routed into conversations':<34} {r['per_second']:>9,.1f}/s  "
                f"(inbound worker, {r['concurrency']} processes; {r['routed']:,} in "
                f"{r['seconds']} s, {r['left']:,} left)"
            )
        else:
            lines.append(f"{'webhook ingest':<34} {w['status']}: {w['note']}")
    if "outbound" in results:
        lines += outbound_table(results["outbound"])
    if "recovery" in results:
        lines += recovery_lines(results["recovery"])
    if "mail" in results:
        lines += mail.mail_lines(results["mail"])
    if "live" in results:
        lines += live_lines(results["live"])
    if "webchat" in results:
        lines += webchat.webchat_lines(results["webchat"], results.get("webhook"))
    return "\n".join(lines)


def campaign_lines(r: dict) -> list[str]:
    """Planning against its goal (10 s for 100,000), the page, one release sweep."""
    ahead = r["sender_rate"] * r["release_ahead_seconds"]
    return [
        f"\nCampaign: planned {r['recipients']:,} recipients in {r['plan_seconds']} s "
        f"(goal < 10 s per 100,000; peak Python memory {r['plan_peak_mb']} MB)",
        f"  through an uploaded list and a custom-field condition: {r['list_recipients']:,} "
        f"recipients in {r['list_plan_seconds']} s (goal < 10 s per 100,000)",
        f"  campaign page: p50 {r['page_p50_ms']} ms, p95 {r['page_p95_ms']} ms, "
        f"{r['page_queries']} SQL ({r['page_requests']} requests; its figures counted by the "
        f"worker in {r['figures_ms']} ms)",
        f"  one release sweep: {r['released']:,} sends saved and paced in "
        f"{r['release_seconds']} s (the sender's {r['sender_rate']:g}/s × "
        f"{r['release_ahead_seconds']:g} s ahead = {ahead:,.0f})",
    ]


def over_floor(page: dict, floor: float | None) -> str:
    """The page's p95 above the bare view's, through the same client."""
    if floor is None or page["name"] == pages.FLOOR:
        return ""
    return f"{page['p95_ms'] - floor:.1f}"


def bot_line(r: dict) -> str:
    """Bot step latency, customer message stored to bot reply stored, against its goal."""
    if r["status"] != "ok":
        return f"\nBot step latency: {r['status']} ({r['note']})"
    verdict = "met" if r["meets_goal"] else "MISSED"
    return (
        f"\nBot step latency (customer message to bot reply, worker on this machine): "
        f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms over {r['turns']} "
        f"turns of {r['customers']} customers (goal p95 < {r['goal_p95_ms']:g} ms: {verdict})"
    )


def goal_text(page: dict) -> str:
    """``35 ms`` or ``25 ms/12q``: the page's goal, if it has one."""
    if page.get("goal_p95_ms") is None:
        return ""
    queries = f"/{page['goal_queries']}q" if page.get("goal_queries") is not None else ""
    return f"{page['goal_p95_ms']:g} ms{queries}"


def goal_ratio_text(page: dict) -> str:
    """p95 over the goal's p95, starred when the page misses its goal."""
    if page.get("goal_ratio") is None:
        return ""
    return f"{page['goal_ratio']:.2f}" + ("*" if page["misses_goal"] else "")


def goals_line(page_results: list[dict]) -> str:
    """How many pages with a goal meet it, and which miss it (by time or by queries)."""
    judged = [p for p in page_results if p["status"] == "ok" and p.get("goal_p95_ms")]
    missing = [p for p in judged if p["misses_goal"]]
    if not judged:
        return ""
    if not missing:
        return f"Goals: all {len(judged)} pages with a goal meet it (p95 and queries)."
    return f"Goals: {len(judged) - len(missing)} of {len(judged)} pages meet theirs; missing: " + (
        "; ".join(
            f"{p['name']} ({p['p95_ms']:.1f} ms, {p['queries']} SQL vs {goal_text(p)})"
            for p in missing
        )
    )


def live_lines(r: dict) -> list[str]:
    """The live stream: an idle tab's cost, 1,000 streams on one process, a restart."""
    if r["status"] != "ok":
        return ["", f"{'live by push':<34} {r['status']}: {r['note']}"]
    lines = ["", "Live by push (one uvicorn process, events through Redis)"]
    if r.get("screen_events"):
        lines.append(
            f"  event to screen: p50 {r['screen_p50_ms']:.0f} ms, p95 {r['screen_p95_ms']:.0f} ms "
            f"over {r['screen_events']} customer messages (signed webhook → worker → another "
            f"agent's chromium page; {r['screen_missed']} never shown)"
        )
    elif r.get("screen_note"):
        lines.append(f"  event to screen: not measured ({r['screen_note']})")
    lines += [
        f"  one idle tab on the stream, per minute: {r['tab_requests_per_minute']:g} requests "
        f"(its presence beat), {r['tab_queries_per_minute']:g} SQL queries, "
        f"{r['tab_cpu_ms_per_minute']:.1f} ms of web CPU ({r['idle_tabs']} tabs for "
        f"{r['idle_seconds']:.0f} s; the process's own reader: "
        f"{r['process_queries_per_minute']:g} queries/min however many tabs)",
        f"  {r['streams']:,} idle streams on one process: {r['streams_rss_mb']:.0f} MB "
        f"(from {r['streams_rss_before_mb']:.0f} MB), {r['streams_cpu_percent']:.1f} % CPU",
        f"  resume: web process killed under {r['resume_rate']:g} events/s and started again "
        f"({r['resume_down_seconds']:g} s down): {r['resume_missed']} events missed by "
        f"{r['resume_clients']} reconnected streams ({r['resume_events']} recorded)",
    ]
    return lines


def recovery_lines(r: dict) -> list[str]:
    label = "recovery after SIGKILL"
    if r["status"] != "ok":
        return ["", f"{label:<34} {r['status']}: {r['note']}"]
    return [
        "",
        f"{label:<34} {r['backlog_seconds']:>7.1f} s until the backlog is empty "
        f"({r['inbound']} inbound routed in {r['inbound_seconds']:.1f} s, {r['sends']} sends "
        f"handed over in {r['sends_seconds']:.1f} s, {r['provider_creates']} provider creates; "
        "from the new worker's start)",
    ]


def open_tab_cost(page_results: list[dict]) -> str:
    """What one open, idle conversation tab costs the server per minute: its live polls
    (nothing new) and its presence beats. Empty when either was not measured."""
    by_name = {p["name"]: p for p in page_results if p["status"] == "ok"}
    polls = by_name.get("Live poll, nothing new (204)")
    beats = by_name.get("Presence beat (typing)")
    if not polls or not beats:
        return ""
    per_minute = [
        (60 / settings.LIVE_POLL_SECONDS, polls),
        (60 / presence.PRESENCE_BEAT_SECONDS, beats),
    ]
    requests = sum(n for n, _ in per_minute)
    queries = sum(n * int(p["queries"].split("-")[-1]) for n, p in per_minute)
    cpu = sum(n * p["cpu_ms"] for n, p in per_minute)
    return (
        f"One open conversation tab, per minute: {requests:.0f} requests "
        f"({per_minute[0][0]:.0f} live polls, {per_minute[1][0]:.0f} presence beats), "
        f"{queries:.0f} SQL queries, {cpu:.0f} ms of web CPU"
    )


def cpu_cost(result: dict) -> str:
    """The machine's CPU per request, and the load's own clients' part of it."""
    if not result.get("cpu_ms"):
        return "CPU not measured"
    return (
        f"CPU {result['cpu_ms']:.2f} ms each, {result['client_cpu_ms']:.2f} ms of it the "
        "load's clients"
    )


def outbound_table(runs: list[dict]) -> list[str]:
    first = runs[0]
    lines = [
        "",
        f"Outbound: agent clicks send → provider accepted ({first['agents']} agents at once, "
        f"{first['worker_processes']} Celery worker process(es), {first['worker_threads']} "
        "threads in all)",
        f"{'case':<24} {'latency':>7} {'msgs':>5} {'accepted/s':>10} {'clicks/s':>9} "
        f"{'provider/s':>10} {'backlog':>7} {'bound/s':>8} {'CPU':>4}  limit",
    ]
    for r in runs:
        bound = min(r["bounds"].values()) if r["bounds"] else None
        case = f"{r['case']} ({r['sender_ids']} IDs)" if r["sender_ids"] > 1 else r["case"]
        lines.append(
            f"{case:<24} {r['latency_ms']:>4g} ms {r['messages']:>5} "
            f"{r['accepted_per_second']:>10,.1f} {r['clicks_per_second']:>9,.1f} "
            f"{r['provider_requests_per_second'] or 0:>10,.1f} {r['unsent_when_clicks_ended']:>7} "
            f"{f'{bound:,.0f}' if bound else '-':>8} {r['cpu_busy'] or 0:>4.0%}  {r['limit']}"
        )
        if r["status"] != "ok":
            lines.append(f"  {r['status']}: {r['note']}")
    lines.append(
        "CPU per message: "
        + ", ".join(
            f"{r['case']} {r['latency_ms']:g} ms: click {r['click_cpu_ms']} ms, "
            f"worker {r['worker_cpu_ms_per_message']} ms"
            for r in runs
        )
    )
    return lines

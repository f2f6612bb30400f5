"""``make bench``: build (or reuse) the data set, measure, print a table, write JSON.

python bench/run.py              # 100,000 conversations / 1,000,000 messages
python bench/run.py --small      # 5,000 / 50,000
python bench/run.py --reuse      # keep a data set of the requested size if present
"""

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = (
    "pages",
    "import",
    "campaigns",
    "rules",
    "bot",
    "limits",
    "webhook",
    "outbound",
    "recovery",
    "mail",
    "live",
    "webchat",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="5,000 conversations / 50,000 msgs")
    parser.add_argument("--conversations", type=int, help="override the data-set size")
    parser.add_argument("--messages", type=int, help="override the data-set size")
    parser.add_argument("--reuse", action="store_true", help="skip the build if already present")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each load run")
    parser.add_argument("--outbound", type=int, default=500, help="messages per outbound run")
    parser.add_argument("--agents", type=int, default=8, help="agents clicking send at once")
    parser.add_argument("--celery-workers", type=int, default=1, help="worker processes")
    parser.add_argument("--celery-concurrency", type=int, default=8, help="threads per worker")
    parser.add_argument(
        "--provider-latency-ms",
        type=lambda v: [float(ms) for ms in v.split(",")],
        default=[0.0, 100.0],
        help="the Twilio-compatible server's answer delay; comma-separated runs (0,100)",
    )
    parser.add_argument(
        "--paced-rate", type=float, default=100, help="segments/s of the one-sender run"
    )
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the CSV import")
    parser.add_argument("--mails", type=int, default=10_000, help="new mails in the mailbox")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE slow queries")
    parser.add_argument(
        "--pages",
        default="",
        help="only the pages whose names contain one of these (comma-separated), and the floor",
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results.json"))
    return parser.parse_args(argv)


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist yet."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    maintenance = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    from bench import settings as bench_settings  # sets the environment's defaults

    url = os.environ["DATABASE_URL"]
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit("make bench needs PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(url)
    django.setup()
    from bench import report

    results = report.run(args, database=urlsplit(url).path.lstrip("/"))
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "settings": bench_settings.__name__,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    print(report.table(results))
    Path(args.json).write_text(json.dumps(results, indent=2, default=asdict) + "\n")
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

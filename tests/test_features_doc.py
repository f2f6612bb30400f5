"""Every feature id (``F-…``) that code, templates, tests or the README cite is listed in
docs/features.md, once."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ROOT / "docs" / "features.md"
CITED_IN = ("automation", "bench", "channels_sms", "channels_twilio", "channels_whatsapp",
            "converse", "inbox", "simulator", "static", "templates", "tests")  # fmt: skip
SUFFIXES = {".py", ".html", ".js", ".css", ".md", ".txt"}
FEATURE_ID = re.compile(r"\bF-[A-Z]{2}\d+\b")
LISTED = re.compile(r"^\| (F-[A-Z]{2}\d+) \|", re.MULTILINE)


def cited_ids() -> dict[str, Path]:
    files = [ROOT / "README.md"] + [
        path
        for folder in CITED_IN
        for path in (ROOT / folder).rglob("*")
        if path.suffix in SUFFIXES and path.is_file()
    ]
    return {
        feature: path
        for path in files
        for feature in FEATURE_ID.findall(path.read_text(encoding="utf-8", errors="replace"))
    }


def test_every_cited_feature_id_is_listed():
    listed = set(LISTED.findall(FEATURES.read_text()))
    cited = cited_ids()
    assert len(cited) > 30  # the scan reads the code, not nothing
    missing = {feature: str(path) for feature, path in cited.items() if feature not in listed}
    assert not missing, f"cited but not in docs/features.md: {missing}"


def test_each_feature_is_listed_once():
    listed = LISTED.findall(FEATURES.read_text())
    assert len(listed) == len(set(listed))
    assert len(listed) > 40

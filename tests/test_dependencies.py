"""What is installed is what was locked: every pin hashed, the locks agreeing with
pyproject.toml and with each other, and no release with a known vulnerability allowed."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(r) for r in PYPROJECT["dependencies"]]
DEV = RUNTIME + [Requirement(r) for r in PYPROJECT["optional-dependencies"]["dev"]]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)((?:\s*\\\s*--hash=sha256:[0-9a-f]{64})+)", re.M)
# Releases before these have known vulnerabilities (CVE-2025-64459 for Django).
FLOORS = {"django": "5.2.8", "weasyprint": "70", "gunicorn": "23", "requests": "2.32.4"}


def pins(name: str) -> dict[str, Version]:
    text = (ROOT / name).read_text()
    entries = [line for line in text.splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    found = {canonicalize_name(m[0]): Version(m[1]) for m in PIN.findall(text)}
    assert len(found) == len(entries), f"{name}: a pin without a hash"
    return found


@pytest.mark.parametrize(
    ("lock", "requirements"), [("requirements.lock", RUNTIME), ("requirements-dev.lock", DEV)]
)
def test_each_lock_pins_every_declared_dependency_within_its_range(lock, requirements):
    pinned = pins(lock)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in {lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name} {pinned[name]} outside {requirement.specifier}: run make lock"
        )


def test_the_runtime_lock_has_the_versions_tested_with_the_dev_lock():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize(("name", "floor"), sorted(FLOORS.items()))
def test_no_vulnerable_release_is_allowed_or_locked(name, floor):
    [requirement] = [r for r in RUNTIME if canonicalize_name(r.name) == name]
    below = Version(floor).release
    last_bad = Version(".".join(map(str, (*below[:-1], below[-1] - 1))) if below[-1] else "0")
    assert not requirement.specifier.contains(last_bad), f"{name} {last_bad} is still allowed"
    assert pins("requirements.lock")[name] >= Version(floor)

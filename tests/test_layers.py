"""The layers written down in pyproject.toml hold (README, Development): channel apps
depend on the inbox and never the reverse, models import no services, template tags no
services or selectors. ``make lint`` and CI run the same check (``lint-imports``)."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_contract_is_kept():
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0

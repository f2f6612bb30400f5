from django.core.cache import caches

AGENTS_KEY = "campaigns:agents-may-create"


def _agents_may_create() -> bool:
    """The setting as the shared cache keeps it (the setting writes it when saved); read
    from the database and kept again when the cache lost it."""
    shared = caches["shared"]
    kept = shared.get(AGENTS_KEY)
    if kept is None:
        from .models import CampaignSettings

        kept = CampaignSettings.load().agents_may_create
        shared.set(AGENTS_KEY, kept, timeout=None)
    return bool(kept)


def campaigns(request) -> dict:
    """Whether the navigation offers Campaigns: to admins, and to everyone when the
    organisation lets standard users run them (so that pages pay no query for it; the pages
    themselves check the database)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.is_admin:
        return {"campaigns_in_nav": True}
    try:
        return {"campaigns_in_nav": _agents_may_create()}
    except Exception:  # a page never fails for its navigation
        return {"campaigns_in_nav": False}

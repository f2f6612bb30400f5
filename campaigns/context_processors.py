from django.core.cache import caches

AGENTS_KEY = "campaigns:agents-may-create"


def campaigns(request) -> dict:
    """Whether the navigation offers Campaigns: to admins, and to everyone when the
    organisation lets standard users run them (read from the shared cache the setting
    writes, so that pages pay no query for it; the pages themselves check the database)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.is_admin:
        return {"campaigns_in_nav": True}
    try:
        return {"campaigns_in_nav": bool(caches["shared"].get(AGENTS_KEY))}
    except Exception:  # a page never fails for its navigation
        return {"campaigns_in_nav": False}

"""What each user sets for themselves: the time zone their pages show times in."""

from ..models import User
from ..models.people import TIME_ZONE_CHOICES

TIME_ZONES = frozenset(name for name, _ in TIME_ZONE_CHOICES)


class ProfileRefused(Exception):
    """A change the profile page cannot make (a time zone that does not exist)."""


def user_time_zone_set(*, user: User, time_zone: str) -> None:
    """Show ``user``'s times in ``time_zone``, a name from the time zone database."""
    if time_zone not in TIME_ZONES:
        raise ProfileRefused(f"{time_zone!r} is not a time zone.")
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])

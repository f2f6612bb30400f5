"""Text from outside made storable: PostgreSQL text holds neither NUL nor lone surrogates."""


def storable_text(value: str) -> str:
    """``value`` without NUL characters, and with any lone surrogate replaced by ``?``."""
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value

from django.conf import settings


def converse(request) -> dict:
    return {"provider_is_simulator": settings.CONVERSE_PROVIDER == "simulator"}

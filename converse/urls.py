from django.contrib import admin
from django.urls import include, path

from .health import healthz
from .metrics import metrics
from .operations import readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("simulator/", include("simulator.urls")),
    path("webhooks/twilio/", include("channels_sms.urls")),
    path("", include("inbox.urls")),
]

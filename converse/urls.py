from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .health import healthz
from .metrics import metrics
from .operations import readyz
from .password_reset import ThrottledPasswordResetView

# Django's auth URLs, password reset only when mail is configured (it mails a link), and
# throttled (``password_reset``).
accounts = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
if settings.PASSWORD_RESET_ENABLED:
    accounts += [
        path("password_reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
        path(
            "password_reset/done/",
            auth_views.PasswordResetDoneView.as_view(),
            name="password_reset_done",
        ),
        path(
            "reset/<uidb64>/<token>/",
            auth_views.PasswordResetConfirmView.as_view(),
            name="password_reset_confirm",
        ),
        path(
            "reset/done/",
            auth_views.PasswordResetCompleteView.as_view(),
            name="password_reset_complete",
        ),
    ]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("accounts/", include(accounts)),
    path("admin/", admin.site.urls),
    path("simulator/", include("simulator.urls")),
    path("automation/", include("automation.urls")),
    path("webhooks/twilio/", include("channels_twilio.urls")),
    path("mail/", include("channels_email.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("webchat/", include("channels_webchat.urls")),
    path("", include("inbox.urls")),
]

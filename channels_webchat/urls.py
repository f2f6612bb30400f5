from django.urls import path

from . import stream, views

app_name = "channels_webchat"

urlpatterns = [
    path("widget.js", views.widget_script, name="widget"),
    path("<str:key>/frame/", views.frame, name="frame"),
    path("<str:key>/start", views.start, name="start"),
    path("<str:key>/state", views.state, name="state"),
    path("<str:key>/stream", stream.stream, name="stream"),
    path("<str:key>/messages", views.write, name="write"),
    path("<str:key>/files", views.attach, name="attach"),
    path("<str:key>/files/<str:public_id>", views.attachment, name="attachment"),
    path("<str:key>/typing", views.typing, name="typing"),
    path("<str:key>/read", views.read, name="read"),
    path("<str:key>/profile", views.profile, name="profile"),
]

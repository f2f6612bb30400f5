from django.urls import path

from . import export_views, live_views, views, window_views

app_name = "inbox"

urlpatterns = [
    path("", views.my_inbox, name="my_inbox"),
    path("new/", views.conversation_new, name="conversation_new"),
    path("segments/", views.segment_count, name="segments"),
    path("c/<str:public_id>/", views.conversation_detail, name="conversation"),
    path("c/<str:public_id>/thread/", views.conversation_thread, name="thread"),
    path("c/<str:public_id>/send/", views.conversation_send, name="send"),
    path(
        "c/<str:public_id>/transcript.pdf",
        export_views.transcript_download,
        {"fmt": "pdf"},
        name="transcript_pdf",
    ),
    path(
        "c/<str:public_id>/transcript.txt",
        export_views.transcript_download,
        {"fmt": "txt"},
        name="transcript_txt",
    ),
    path(
        "c/<str:public_id>/media/<str:attachment_id>/",
        export_views.attachment_download,
        name="attachment",
    ),
    path("c/<str:public_id>/close/", window_views.conversation_close_view, name="close"),
    path("c/<str:public_id>/reopen/", window_views.conversation_reopen_view, name="reopen"),
    path("c/<str:public_id>/join/", window_views.conversation_join_view, name="join"),
    path("c/<str:public_id>/leave/", window_views.conversation_leave_view, name="leave"),
    path("c/<str:public_id>/grab/", window_views.conversation_grab_view, name="grab"),
    path("c/<str:public_id>/note/", window_views.conversation_note, name="note"),
    path("c/<str:public_id>/contact/", window_views.contact_edit, name="contact"),
    path("me/availability/", window_views.availability_toggle, name="availability"),
    path("live/", live_views.changes, name="live"),
]

from django.urls import path

from . import export_views, views

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
]

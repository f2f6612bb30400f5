from django.urls import path

from .views import conversation, export, held, hours, lists, live, reports, window

app_name = "inbox"

urlpatterns = [
    path("", lists.my_inbox, name="my_inbox"),
    path("sent/", lists.sent, name="sent"),
    path("s/<str:public_id>/", lists.sender_inbox, name="sender_inbox"),
    path("team/", lists.team_inbox, name="team_inbox"),
    path("team/<str:username>/", lists.team_agent, name="team_agent"),
    path("all/", lists.all_conversations, name="all_conversations"),
    path("bulk/", lists.bulk, name="bulk"),
    path("reports/", reports.reports, name="reports"),
    path("reports/conversations.csv", reports.reports_export, name="reports_export"),
    path("new/", conversation.conversation_new, name="conversation_new"),
    path("segments/", conversation.segment_count, name="segments"),
    path("c/<str:public_id>/", conversation.conversation_detail, name="conversation"),
    path("c/<str:public_id>/thread/", conversation.conversation_thread, name="thread"),
    path("c/<str:public_id>/send/", conversation.conversation_send, name="send"),
    path(
        "c/<str:public_id>/transcript.pdf",
        export.transcript_download,
        {"fmt": "pdf"},
        name="transcript_pdf",
    ),
    path(
        "c/<str:public_id>/transcript.txt",
        export.transcript_download,
        {"fmt": "txt"},
        name="transcript_txt",
    ),
    path(
        "c/<str:public_id>/transcript/",
        export.transcript_export_start,
        name="transcript_export",
    ),
    path(
        "c/<str:public_id>/transcript/<str:export_id>/",
        export.transcript_export_status,
        name="transcript_export_status",
    ),
    path(
        "c/<str:public_id>/transcript/<str:export_id>/file/",
        export.transcript_export_file,
        name="transcript_export_file",
    ),
    path(
        "c/<str:public_id>/media/<str:attachment_id>/",
        export.attachment_download,
        name="attachment",
    ),
    path("c/<str:public_id>/close/", window.conversation_close_view, name="close"),
    path("c/<str:public_id>/reopen/", window.conversation_reopen_view, name="reopen"),
    path("c/<str:public_id>/join/", window.conversation_join_view, name="join"),
    path("c/<str:public_id>/leave/", window.conversation_leave_view, name="leave"),
    path("c/<str:public_id>/grab/", window.conversation_grab_view, name="grab"),
    path("c/<str:public_id>/note/", window.conversation_note, name="note"),
    path("c/<str:public_id>/contact/", window.contact_edit, name="contact"),
    path("c/<str:public_id>/held/<str:message_id>/", held.held_message, name="held_message"),
    path(
        "c/<str:public_id>/held/<str:message_id>/cancel/",
        held.held_message_cancel_view,
        name="held_message_cancel",
    ),
    path("settings/hours/", hours.hours_page, name="hours_settings"),
    path("settings/hours/holidays/", hours.holiday_add, name="holiday_add"),
    path(
        "settings/hours/holidays/<str:public_id>/delete/",
        hours.holiday_delete,
        name="holiday_delete",
    ),
    path("settings/hours/senders/<str:public_id>/", hours.sender_hours_edit, name="sender_hours"),
    path("me/availability/", window.availability_toggle, name="availability"),
    path("live/", live.changes, name="live"),
    path("nav/", lists.nav_refresh, name="nav"),
]

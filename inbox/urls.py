from django.urls import path

from .views import conversation, lists

app_name = "inbox"

urlpatterns = [
    path("", lists.my_inbox, name="my_inbox"),
    path("sent/", lists.sent, name="sent"),
    path("s/<str:public_id>/", lists.sender_inbox, name="sender_inbox"),
    path("team/", lists.team_inbox, name="team_inbox"),
    path("team/<str:username>/", lists.team_agent, name="team_agent"),
    path("bulk/", lists.bulk, name="bulk"),
    path("new/", conversation.conversation_new, name="conversation_new"),
    path("segments/", conversation.segment_count, name="segments"),
    path("c/<str:public_id>/", conversation.conversation_detail, name="conversation"),
    path("c/<str:public_id>/thread/", conversation.conversation_thread, name="thread"),
    path("c/<str:public_id>/send/", conversation.conversation_send, name="send"),
]

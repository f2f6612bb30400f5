from django.urls import path

from . import bot_views, views

app_name = "automation"

urlpatterns = [
    path("", views.rules_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<str:public_id>/", views.rule_edit, name="rule"),
    path("rules/<str:public_id>/delete/", views.rule_remove, name="rule_delete"),
    path("rules/<str:public_id>/try/", views.rule_try_view, name="rule_try"),
    path("bots/", bot_views.bots_list, name="bots"),
    path("bots/new/", bot_views.bot_edit, name="bot_new"),
    path("bots/<str:public_id>/", bot_views.bot_edit, name="bot"),
    path("bots/<str:public_id>/delete/", bot_views.bot_remove, name="bot_delete"),
    path("bots/<str:public_id>/steps/new/", bot_views.bot_step_edit, name="bot_step_new"),
    path("bots/<str:public_id>/steps/<str:key>/", bot_views.bot_step_edit, name="bot_step"),
    path(
        "bots/<str:public_id>/steps/<str:key>/delete/",
        bot_views.bot_step_remove,
        name="bot_step_delete",
    ),
    path(
        "bots/<str:public_id>/steps/<str:key>/move/",
        bot_views.bot_step_move_view,
        name="bot_step_move",
    ),
    path("webhooks/", views.webhooks_page, name="webhooks"),
    path("webhooks/<str:public_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("macros/", views.macros_list, name="macros"),
    path("macros/new/", views.macro_edit, name="macro_new"),
    path("macros/<str:public_id>/", views.macro_edit, name="macro"),
    path("macros/<str:public_id>/delete/", views.macro_remove, name="macro_delete"),
    path("c/<str:public_id>/macros/", views.macro_menu, name="macro_menu"),
    path("c/<str:public_id>/macros/<str:macro_id>/", views.macro_run_view, name="macro_run"),
]

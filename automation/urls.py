from django.urls import path

from . import views

app_name = "automation"

urlpatterns = [
    path("", views.rules_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<str:public_id>/", views.rule_edit, name="rule"),
    path("rules/<str:public_id>/delete/", views.rule_remove, name="rule_delete"),
    path("rules/<str:public_id>/try/", views.rule_try_view, name="rule_try"),
    path("webhooks/", views.webhooks_page, name="webhooks"),
    path("webhooks/<str:public_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("macros/", views.macros_list, name="macros"),
    path("macros/new/", views.macro_edit, name="macro_new"),
    path("macros/<str:public_id>/", views.macro_edit, name="macro"),
    path("macros/<str:public_id>/delete/", views.macro_remove, name="macro_delete"),
    path("c/<str:public_id>/macros/", views.macro_menu, name="macro_menu"),
    path("c/<str:public_id>/macros/<str:macro_id>/", views.macro_run_view, name="macro_run"),
]

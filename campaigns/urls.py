from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("estimate/", views.campaign_estimate, name="estimate"),
    path("<str:public_id>/", views.campaign_detail, name="detail"),
    path("<str:public_id>/edit/", views.campaign_edit, name="edit"),
    path("<str:public_id>/recipients.csv", views.campaign_export, name="export"),
    path("<str:public_id>/launch/", views.campaign_launch, name="launch"),
    path("<str:public_id>/pause/", views.campaign_pause, name="pause"),
    path("<str:public_id>/resume/", views.campaign_resume, name="resume"),
    path("<str:public_id>/cancel/", views.campaign_cancel, name="cancel"),
    path("<str:public_id>/duplicate/", views.campaign_duplicate, name="duplicate"),
]

from django.urls import path

from . import views

app_name = "channels_email"

urlpatterns = [
    path("<str:public_id>/", views.original, name="original"),
]

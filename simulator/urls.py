from django.urls import path

from . import views

app_name = "simulator"

urlpatterns = [
    path("", views.customer_phone, name="phone"),
    path("mail/", views.customer_mail, name="mail"),
]

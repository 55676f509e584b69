from django.urls import path

from . import views_desk

urlpatterns = [
    path("desk/", views_desk.desk, name="desk"),
    path("tickets/<int:ticket_id>/", views_desk.ticket, name="ticket"),
]

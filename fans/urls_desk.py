from django.urls import path

from . import views_desk

urlpatterns = [
    path("tickets/<int:ticket_id>/", views_desk.ticket, name="ticket"),
]

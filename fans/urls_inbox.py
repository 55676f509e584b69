from django.urls import path

from . import views_inbox

urlpatterns = [
    path("", views_inbox.inbox, name="inbox"),
    path("items/<int:item_id>/", views_inbox.item, name="item"),
]

from django.urls import path

from . import views

app_name = "positioning"

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("name-check/", views.name_check, name="name_check"),
    path("brands/new/", views.brand_edit, name="brand_new"),
    path("brands/<int:brand_id>/edit/", views.brand_edit, name="brand_edit"),
    path("accounts/new/", views.account_new, name="account_new"),
    path("accounts/<int:account_id>/", views.account_detail, name="account"),
    path("accounts/<int:account_id>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:account_id>/circles/", views.circle_add, name="circle_add"),
    path("accounts/<int:account_id>/circles/<int:circle_id>/remove/", views.circle_remove, name="circle_remove"),
    path("accounts/<int:account_id>/members/", views.member_set, name="member_set"),
    path("accounts/<int:account_id>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("accounts/<int:account_id>/playbook/edit/", views.playbook_edit, name="playbook_edit"),
    path("accounts/<int:account_id>/playbook/v<int:number>/", views.playbook_version, name="playbook_version"),
    path("accounts/<int:account_id>/handover/", views.handover, name="handover"),
    path("accounts/<int:account_id>/weibo/connect/", views.weibo_connect, name="weibo_connect"),
    path("accounts/<int:account_id>/weibo/check/", views.weibo_check, name="weibo_check"),
    path("accounts/<int:account_id>/weibo/disconnect/", views.weibo_disconnect, name="weibo_disconnect"),
    path("weibo/callback/", views.weibo_callback, name="weibo_callback"),
]

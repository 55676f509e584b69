from django.urls import path

from .push import push_receiver

app_name = "weibo"
urlpatterns = [path("push/", push_receiver, name="push")]

"""The report's pages, included by campaigns/urls.py (namespace ``campaigns``)."""

from django.urls import path

from . import views_report

urlpatterns = [
    path("<int:pk>/report/", views_report.report, name="campaign_report"),
    path("<int:pk>/report.xlsx", views_report.report_spreadsheet, name="campaign_report_xlsx"),
]

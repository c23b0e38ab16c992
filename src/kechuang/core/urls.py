from django.urls import path

from . import health, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job"),
    path("jobs/<uuid:pk>/download/", views.job_download, name="job_download"),
    path("audit/", views.audit_log, name="audit"),
    path("healthz", health.healthz, name="healthz"),
]

from django.urls import path

from . import views

app_name = "points"
urlpatterns = [
    path("", views.home, name="home"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("leaderboard/export/", views.leaderboard_export, name="leaderboard_export"),
    path("leaderboard/batch/", views.batch_start, name="batch_start"),
    path("batches/<uuid:pk>/", views.batch, name="batch"),
    path("batches/<uuid:pk>/download/", views.batch_download, name="batch_download"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/export/", views.alerts_export, name="alerts_export"),
    path("alerts/refresh/", views.alerts_refresh, name="alerts_refresh"),
    path("alerts/rules/", views.alert_rules, name="alert_rules"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:pk>/assign/", views.alert_assign, name="alert_assign"),
    path("runs/", views.runs, name="runs"),
    path("schemes/", views.scheme_list, name="schemes"),
    path("schemes/<str:key>/", views.scheme_detail, name="scheme"),
    path("schemes/<str:key>/copy/", views.scheme_copy, name="scheme_copy"),
    path("firm/<str:uscc>/", views.firm, name="firm"),
    path("firm/<str:uscc>/diagnosis/", views.firm_diagnosis, name="diagnosis"),
    path("firm/<str:uscc>/diagnosis.pdf", views.firm_diagnosis_pdf, name="diagnosis_pdf"),
]

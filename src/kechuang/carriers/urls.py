from django.urls import path

from . import views

app_name = "carriers"
urlpatterns = [
    path("", views.carrier_list, name="list"),
    path("new/", views.carrier_edit, name="new"),
    path("offshore/", views.offshore, name="offshore"),
    path("ranking/", views.ranking, name="ranking"),
    path("kpis/import/", views.kpi_import, name="kpi_import"),
    path("kpis/template/", views.kpi_template, name="kpi_template"),
    path("applications/", views.applications, name="applications"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("residencies/<int:pk>/", views.residency_detail, name="residency"),
    path("<int:pk>/", views.carrier_detail, name="detail"),
    path("<int:pk>/edit/", views.carrier_edit, name="edit"),
    path("<int:pk>/residents/", views.residents, name="residents"),
    path("<int:pk>/kpis/", views.kpis, name="kpis"),
    path("<int:pk>/kpis/recheck/", views.recheck, name="recheck"),
    path("<int:pk>/equipment/new/", views.equipment_new, name="equipment_new"),
    path("<int:pk>/pilot-services/new/", views.pilot_service_new, name="pilot_service_new"),
    path("<int:pk>/offshore-projects/new/", views.offshore_project_edit, name="offshore_project_new"),
    path("<int:pk>/offshore-projects/<int:project_pk>/", views.offshore_project_edit, name="offshore_project_edit"),
]

from django.urls import path

from . import brokerviews, recordimport, supplyimport, supplyviews, views

app_name = "techtransfer"
urlpatterns = [
    path("contracts/", views.contracts, name="contracts"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/statistics/", views.statistics, name="statistics"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("contracts/<int:pk>/certificate.pdf", views.certificate, name="certificate"),
    path("supply/", supplyviews.supply, name="supply"),
    path("supply/institutions/<int:pk>/", supplyviews.institution, name="institution"),
    path("supply/institutions/<int:pk>/add/<slug:kind>/", supplyviews.record_edit, name="record_new"),
    path("supply/institutions/<int:pk>/<slug:kind>/<int:record_pk>/edit/", supplyviews.record_edit, name="record_edit"),
    *(path(f"supply/import/{key}/", view, name=f"{key}_import") for key, view in recordimport.PAGES.items()),
    path("achievements/", supplyviews.achievements, name="achievements"),
    path("achievements/new/", supplyviews.achievement_edit, name="achievement_new"),
    path("achievements/import/", supplyimport.import_page, name="achievement_import"),
    path("achievements/<int:pk>/", supplyviews.achievement, name="achievement"),
    path("achievements/<int:pk>/edit/", supplyviews.achievement_edit, name="achievement_edit"),
    path("needs/", supplyviews.needs, name="needs"),
    path("needs/new/", supplyviews.need_edit, name="need_new"),
    path("needs/<int:pk>/", supplyviews.need, name="need"),
    path("needs/<int:pk>/edit/", supplyviews.need_edit, name="need_edit"),
    path("needs/<int:pk>/disclose/", supplyviews.need_disclose, name="need_disclose"),
    path("needs/<int:pk>/matches/<int:achievement_pk>/", supplyviews.match_feedback, name="match_feedback"),
    path("cases/", brokerviews.cases, name="cases"),
    path("cases/new/", brokerviews.case_new, name="case_new"),
    path("cases/<int:pk>/", brokerviews.case, name="case"),
    path("cases/<int:pk>/edit/", brokerviews.case_edit, name="case_edit"),
    path("cases/<int:pk>/<slug:action>/", brokerviews.case_move, name="case_move"),
    path("funnel/", brokerviews.funnel, name="funnel"),
    path("managers/", brokerviews.managers, name="managers"),
    path("events/", brokerviews.events, name="events"),
    path("events/new/", brokerviews.event_new, name="event_new"),
    path("events/<int:pk>/", brokerviews.event, name="event"),
]

from django.urls import path

from . import views

app_name = "tiers"
urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("evaluate/", views.evaluate, name="evaluate"),
    path("near-misses/", views.near_misses, name="near_misses"),
    path("expiring/", views.expiring, name="expiring"),
    path("parameters/", views.parameters, name="parameters"),
    path("tier/<str:tier>/", views.tier_list, name="tier_list"),
    path("enterprise/<str:uscc>/", views.enterprise_tiers, name="enterprise"),
    path("runs/<int:pk>/void/", views.void_run, name="void_run"),
    path("results/<int:pk>/replay/", views.replay, name="replay"),
]

from django.urls import path

from . import views

app_name = "rules"
urlpatterns = [
    path("", views.index, name="index"),
    path("region/", views.region_profile, name="region"),
    path("<slug:kind>/<slug:rule_id>/", views.detail, name="detail"),
    path("<slug:kind>/<slug:rule_id>/<slug:parameter>/", views.edit, name="edit"),
]

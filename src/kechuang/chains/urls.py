from django.urls import path

from . import views

app_name = "chains"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.chain_edit, name="chain_new"),
    path("targets/", views.targets, name="targets"),
    path("targets/new/", views.target_edit, name="target_new"),
    path("targets/<int:pk>/", views.target_detail, name="target"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target_edit"),
    path("designations/<int:pk>/end/", views.designation_end, name="designation_end"),
    path("leader/<str:uscc>/", views.leader_view, name="leader"),
    path("mine/", views.my_chain, name="mine"),
    path("products/import/", views.product_import, name="product_import"),
    path("products/<str:uscc>/", views.product_profile, name="products"),
    path("<slug:code>/", views.chain_map, name="map"),
    path("<slug:code>/edit/", views.chain_edit, name="chain_edit"),
    path("<slug:code>/suggest/", views.suggest, name="suggest"),
    path("<slug:code>/placements/", views.placements, name="placements"),
    path("<slug:code>/placements/decide/", views.decide, name="decide"),
    path("<slug:code>/designations/", views.designation_add, name="designation_add"),
    path("<slug:code>/segments/new/", views.segment_edit, name="segment_new"),
    path("<slug:code>/segments/<int:pk>/", views.segment_detail, name="segment"),
    path("<slug:code>/segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("<slug:code>/segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
    path("<slug:code>/segments/<int:pk>/firms/", views.add_firm, name="add_firm"),
]

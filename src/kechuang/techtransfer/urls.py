from django.urls import path

from . import views

app_name = "techtransfer"
urlpatterns = [
    path("contracts/", views.contracts, name="contracts"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/statistics/", views.statistics, name="statistics"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("contracts/<int:pk>/certificate.pdf", views.certificate, name="certificate"),
]

from django.urls import path

from . import views

app_name = "onestop"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.request_new, name="request_new"),
    path("<int:pk>/", views.request_detail, name="request"),
    path("diagnosis/<str:uscc>/", views.from_diagnosis, name="from_diagnosis"),
    path("hte/<str:uscc>/", views.hte_request, name="hte_request"),
    path("mine/", views.my_firms, name="mine"),
    path("officials/", views.officials, name="officials"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/done/", views.visit_done, name="visit_done"),
]

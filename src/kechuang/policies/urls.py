from django.urls import path

from . import views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("mine/bank-account/", views.bank_account, name="bank_account"),
    path("entitlements/", views.entitlements, name="entitlements"),
    path("entitlements/<int:pk>/", views.entitlement_detail, name="entitlement"),
    path("entitlements/<int:pk>/confirm/", views.entitlement_confirm, name="confirm"),
    path("entitlements/<int:pk>/replay/", views.entitlement_replay, name="replay"),
    path("batches/", views.batches, name="batches"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/approve/", views.batch_approve, name="batch_approve"),
    path("batches/<int:pk>/refuse/", views.batch_refuse, name="batch_refuse"),
    path("batches/<int:pk>/paid/", views.batch_paid, name="batch_paid"),
    path("batches/<int:pk>/export/", views.batch_export, name="batch_export"),
    path("clawbacks/", views.clawbacks, name="clawbacks"),
    path("clawbacks/<int:pk>/resolve/", views.clawback_resolve, name="clawback_resolve"),
    path("simulations/<int:pk>/", views.simulation, name="simulation"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("<str:code>/", views.policy_detail, name="detail"),
    path("<str:code>/versions/new/", views.version_add, name="version_add"),
    path("<str:code>/simulate/", views.simulate, name="simulate"),
    path("<str:code>/eligibility/", views.run_eligibility, name="run_eligibility"),
    path("<str:code>/batches/new/", views.batch_create, name="batch_create"),
    path("<str:code>/clawbacks/check/", views.clawback_check, name="clawback_check"),
]

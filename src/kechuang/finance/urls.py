from django.urls import path

from . import views

app_name = "finance"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("products/", views.products, name="products"),
    path("products/<str:code>/", views.product_detail, name="product"),
    path("products/<str:code>/status/", views.product_status, name="product_status"),
    path("products/<str:code>/apply/", views.apply, name="apply"),
    path("mine/", views.mine, name="mine"),
    path("consents/", views.consents, name="consents"),
    path("consents/new/", views.consent_new, name="consent_new"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("access-log/", views.access_log, name="access_log"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/step/", views.application_step, name="application_step"),
    path("bank/", views.bank, name="bank"),
    path("firms/", views.firms, name="firms"),
    path("firms/<str:uscc>/", views.firm, name="firm"),
    path("firms/<str:uscc>/figures.xlsx", views.firm_figures_export, name="firm_figures"),
    path("loans/", views.loans, name="loans"),
    path("loans/import/", views.loan_import, name="loan_import"),
    path("loans/import/<int:pk>/", views.loan_import_report, name="loan_import_report"),
    path("loans/template.xlsx", views.loan_template, name="loan_template"),
    path("pool/", views.pool, name="pool"),
    path("pool/<int:pk>/", views.pool, name="pool_detail"),
    path("funds/", views.funds, name="funds"),
    path("funds/<int:pk>/", views.fund_detail, name="fund"),
    path("deals/<int:pk>/", views.deal_detail, name="deal"),
    path("deals/<int:pk>/<str:action>/", views.deal_action, name="deal_action"),
    path("events/", views.events, name="events"),
]

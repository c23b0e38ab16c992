from django.urls import path, re_path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("export/", views.export, name="export"),
    path("import/", views.import_page, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    re_path(r"^import/(?P<token>[0-9a-f]{32})/confirm/$", views.import_confirm, name="import_confirm"),
    re_path(r"^import/(?P<token>[0-9a-f]{32})/rejected/$", views.import_rejected, name="import_rejected"),
    path("submissions/", views.submissions, name="submissions"),
    path("submissions/<int:pk>/review/", views.submission_review, name="submission_review"),
    path("<str:uscc>/", views.enterprise_detail, name="detail"),
    path("<str:uscc>/edit/", views.enterprise_edit, name="edit"),
    path("<str:uscc>/figures/new/", views.figure_edit, name="figure_new"),
    path("<str:uscc>/figures/<int:year>/", views.figure_edit, name="figure_edit"),
    path("<str:uscc>/qualifications/new/", views.qualification_add, name="qualification_add"),
]

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password"),
    path("tokens/", views.tokens, name="tokens"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_create, name="user_new"),
    path("users/<int:pk>/", views.user_detail, name="user"),
    path("users/<int:pk>/<str:action>/", views.user_action, name="user_action"),
]

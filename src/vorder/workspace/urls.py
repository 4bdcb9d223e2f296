from django.contrib.auth import views as auth_views
from django.urls import include, path

from vorder.workspace import views

app_name = "workspace"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("language/", views.language, name="language"),
    path("dso-trend/", views.dso_trend_panel, name="dso_trend"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/hold/", views.customer_hold_change, name="customer_hold"),
    path("creditor/", views.creditor_switch, name="creditor_switch"),
    path("", include("vorder.workspace.urls_cases")),
]

from vorder.workspace.urls_dunning import urlpatterns as dunning_urlpatterns  # noqa: E402

urlpatterns += dunning_urlpatterns
urlpatterns += [path("", include("vorder.workspace.urls_banking"))]

"""The banking screens' addresses; included by workspace/urls.py under the same app name."""

from django.urls import path

from vorder.workspace import views_banking as v
from vorder.workspace import views_mandates as m

urlpatterns = [
    path("bank/statements/", v.statements, name="banking_statements"),
    path("bank/statements/upload/", v.upload, name="banking_upload"),
    path("bank/reconciliation/", v.queue, name="banking_queue"),
    path("bank/reconciliation/<int:pk>/", v.line_detail, name="banking_line"),
    path(
        "bank/reconciliation/<int:pk>/accept/<int:index>/",
        v.line_accept,
        name="banking_accept",
    ),
    path("bank/reconciliation/<int:pk>/split/", v.line_split, name="banking_split"),
    path("bank/reconciliation/<int:pk>/split/row/", v.split_row, name="banking_split_row"),
    path("bank/reconciliation/<int:pk>/remaining/", v.line_remaining, name="banking_remaining"),
    path("bank/reconciliation/<int:pk>/on-account/", v.line_on_account, name="banking_on_account"),
    path("bank/reconciliation/<int:pk>/ignore/", v.line_ignore, name="banking_ignore"),
    path("bank/returns/", v.returns, name="banking_returns"),
    path("mandates/", m.mandate_list, name="mandate_list"),
    path("mandates/<int:pk>/revoke/", m.mandate_revoke_post, name="mandate_revoke"),
    path("mandates/<int:pk>/amend/", m.mandate_amend_post, name="mandate_amend"),
    path("customers/<int:pk>/mandates/", m.mandate_add, name="mandate_add"),
]

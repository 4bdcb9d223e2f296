"""The collector's pages: the worklist and the actions on the customer page."""

from django.urls import path

from vorder.workspace import views_cases as v

urlpatterns = [
    path("worklist/", v.worklist_page, name="worklist"),
    path("tasks/<int:pk>/done/", v.task_done, name="task_done"),
    path("customers/<int:pk>/calls/", v.call_log_create, name="customer_call"),
    path("customers/<int:pk>/promises/", v.promise_create, name="customer_promise"),
    path("customers/<int:pk>/arrangements/", v.arrangement_propose, name="customer_arrangement"),
    path("customers/<int:pk>/disputes/", v.dispute_create, name="customer_dispute"),
    path("customers/<int:pk>/statement/send/", v.statement_send, name="customer_statement_send"),
    path("customers/<int:pk>/contact/", v.contact_preferences, name="customer_contact"),
    path("customers/<int:pk>/messages/<int:message_id>/", v.message_copy, name="customer_message"),
    path("arrangements/<int:pk>/approve/", v.arrangement_approve_view, name="arrangement_approve"),
    path("disputes/<int:pk>/resolve/", v.dispute_resolve, name="dispute_resolve"),
]

"""The dunning screens' addresses; included by workspace/urls.py under the same app name."""

from django.urls import path

from vorder.workspace import views_dunning as v

urlpatterns = [
    path("dunning/policies/", v.policy_list, name="dunning_policies"),
    path("dunning/policies/install/", v.policies_install, name="dunning_policies_install"),
    path("dunning/policies/<int:pk>/", v.policy_edit, name="dunning_policy_edit"),
    path("dunning/policies/<int:pk>/check/", v.policy_check, name="dunning_policy_check"),
    path("dunning/messages/", v.template_list, name="dunning_templates"),
    path(
        "dunning/messages/<slug:key>/<str:channel>/<str:language>/",
        v.template_edit,
        name="dunning_template",
    ),
    path(
        "dunning/messages/<slug:key>/<str:channel>/<str:language>/preview/",
        v.template_preview,
        name="dunning_template_preview",
    ),
    path(
        "dunning/messages/<slug:key>/<str:channel>/<str:language>/preview.<str:fmt>",
        v.template_preview_document,
        name="dunning_template_document",
    ),
    path("dunning/run/", v.run_page, name="dunning_run"),
    path("dunning/run/start/", v.run_start, name="dunning_run_start"),
    path("dunning/approvals/", v.approvals, name="dunning_approvals"),
    path("dunning/approvals/<int:pk>/approve/", v.decision_approve, name="dunning_approve"),
    path("dunning/approvals/<int:pk>/reject/", v.decision_reject, name="dunning_reject"),
    path("dunning/outbox/", v.outbox, name="dunning_outbox"),
    path("dunning/outbox/<int:pk>/", v.message_detail, name="dunning_message"),
    path("dunning/outbox/<int:pk>/letter.pdf", v.message_pdf, name="dunning_message_pdf"),
    path("dunning/outbox/<int:pk>/email.html", v.message_html, name="dunning_message_html"),
    path("customers/<int:pk>/dunning/", v.customer_panel, name="customer_dunning"),
    path("customers/<int:pk>/dunning/send-now/", v.customer_send_now, name="customer_send_now"),
]

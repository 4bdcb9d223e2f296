"""The shipped templates: installed once, complete in four languages, and strict about variables."""

from __future__ import annotations

import pytest

from tests.comms.conftest import full_context
from vorder.comms.models import MessageTemplate
from vorder.comms.rendering import MissingVariable, message_render, render_template
from vorder.comms.selectors import TemplateMissing, message_template_for
from vorder.comms.services import shipped_templates, templates_install

KEYS = [
    "reminder_friendly",
    "reminder",
    "reminder_firm",
    "nl_fourteen_day_letter",
    "be_free_reminder",
    "notice_of_default",
    "final_notice",
    "statement",
    "promise_confirmation",
    "arrangement_confirmation",
    "dispute_rejected",
]
LANGUAGES = ["nl", "en", "fr", "de"]


def test_every_key_ships_in_every_language_for_email_and_letter_and_sms_for_reminders():
    shipped = {(t.key, t.channel, t.language) for t in shipped_templates()}
    for key in KEYS:
        for language in LANGUAGES:
            assert (key, "email", language) in shipped
            assert (key, "letter", language) in shipped
    for key in ("reminder_friendly", "reminder", "reminder_firm"):
        for language in LANGUAGES:
            assert (key, "sms", language) in shipped


@pytest.mark.django_db
def test_install_is_idempotent_and_repairs_an_edited_default():
    assert MessageTemplate.objects.filter(creditor__isnull=True).count() == len(shipped_templates())
    assert templates_install()["created"] == 0
    row = MessageTemplate.objects.get(creditor=None, key="reminder", channel="email", language="nl")
    row.body = "broken"
    row.save()
    assert templates_install() == {
        "created": 0,
        "updated": 1,
        "unchanged": len(shipped_templates()) - 1,
    }
    row.refresh_from_db()
    assert "betaaltermijn" in row.body


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_shipped_template_renders_without_a_missing_variable(language):
    context = full_context(language)
    for template in MessageTemplate.objects.filter(creditor=None, language=language):
        rendered = render_template(template=template, context=context, strict=True)
        assert rendered.text.strip(), template
        assert "{{" not in rendered.text, template
        assert "{%" not in rendered.text, template
        assert "[[table]]" not in rendered.text + rendered.html, template
        if template.channel != "sms":
            assert rendered.subject, template
            assert "Acme Groothandel B.V." in rendered.text, template
        else:
            assert len(rendered.text) <= 320, (template, len(rendered.text))


@pytest.mark.django_db
def test_strict_rendering_names_the_missing_variable():
    context = full_context("nl")
    del context["announced_costs"]
    with pytest.raises(MissingVariable, match="announced_costs"):
        message_render(
            creditor=None,
            key="nl_fourteen_day_letter",
            channel="letter",
            language="nl",
            context=context,
            strict=True,
        )


@pytest.mark.django_db
def test_fourteen_day_letter_states_the_term_from_the_day_after_receipt_and_the_costs():
    rendered = message_render(
        creditor=None,
        key="nl_fourteen_day_letter",
        channel="letter",
        language="nl",
        context=full_context("nl"),
    )
    text = rendered.text.replace("\xa0", " ")
    assert "binnen 14 dagen, te rekenen vanaf de dag na ontvangst van deze brief" in text
    assert "buitengerechtelijke incassokosten van € 200,18" in text
    assert "2026-00017" in text
    assert "€ 1.547,02" in text
    email = message_render(
        creditor=None,
        key="nl_fourteen_day_letter",
        channel="email",
        language="nl",
        context=full_context("nl"),
    )
    assert "de dag na ontvangst van deze e-mail" in email.text


@pytest.mark.django_db
def test_belgian_first_reminder_is_free_gives_fourteen_days_and_names_the_damages():
    rendered = message_render(
        creditor=None,
        key="be_free_reminder",
        channel="letter",
        language="fr",
        context=full_context("fr"),
    )
    assert "Ce premier rappel est gratuit." in rendered.text
    assert "14 jours calendrier" in rendered.text
    assert "troisième jour ouvrable suivant l'envoi" in rendered.text
    assert "indemnité de € 200,18" in rendered.text.replace("\xa0", " ")
    assert "Numéro d'entreprise 12345678" in rendered.text


@pytest.mark.django_db
def test_friendly_reminder_asks_what_is_wrong_and_offers_to_talk():
    text = message_render(
        creditor=None,
        key="reminder_friendly",
        channel="email",
        language="en",
        context=full_context("en"),
    ).text
    assert "wanted to check whether anything is wrong" in text
    assert "020 123 4567" in text
    assert "instalments" in text


@pytest.mark.django_db
def test_html_escapes_what_the_context_holds():
    context = full_context("en")
    context["customer"]["name"] = "<script>alert(1)</script>"
    context["contact"] = None
    rendered = message_render(
        creditor=None, key="reminder", channel="letter", language="en", context=context
    )
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


@pytest.mark.django_db
def test_templates_cannot_include_files():
    from django.template import TemplateDoesNotExist

    template = MessageTemplate(
        key="x", channel="email", language="en", subject="x", body='{% include "/etc/passwd" %}'
    )
    with pytest.raises(TemplateDoesNotExist):
        render_template(template=template, context={})


@pytest.mark.django_db
def test_creditor_template_wins_in_its_language_and_language_falls_back(creditor):
    own = MessageTemplate.objects.create(
        creditor=creditor,
        key="reminder",
        channel="email",
        language="nl",
        subject="Eigen",
        body="Eigen tekst",
    )
    assert (
        message_template_for(creditor=creditor, key="reminder", channel="email", language="nl")
        == own
    )
    french = message_template_for(creditor=creditor, key="reminder", channel="email", language="fr")
    assert french.creditor is None
    assert french.language == "fr"
    MessageTemplate.objects.create(
        creditor=creditor,
        key="thanks",
        channel="email",
        language="nl",
        subject="Dank",
        body="Dank u",
    )
    assert (
        message_template_for(
            creditor=creditor, key="thanks", channel="email", language="de"
        ).language
        == "nl"
    )
    with pytest.raises(TemplateMissing):
        message_template_for(creditor=None, key="thanks", channel="email", language="nl")

"""The report admin: owners list and download their departments' reports only (another's is a
404), the generate form asks for a scope in the user's language and records a generation that
the task moves along, and the list's generations panel (JSON) follows it to the download link."""
from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from access.preferences import user_language_set
from reports import services, tasks
from reports.models import GenerationState, Report, ReportGeneration
from reports.periods import Period

PERIOD = Period(date(2026, 1, 5), date(2026, 1, 18))
GENERATE = "admin:reports_report_generate"
GENERATIONS = "admin:reports_report_generations"
CHANGELIST = "admin:reports_report_changelist"


def _report(department=None, language="en") -> Report:
    """A stored report row with a small file (no PDF rendered: the list and the download need none)."""
    from django.core.files.base import ContentFile

    report = Report(period_start=PERIOD.start, period_end=PERIOD.end, language=language, department=department, sha256="0" * 64)
    report.file.save(report.filename, ContentFile(b"%PDF-1.7 test"), save=False)
    report.save()
    return report


@pytest.fixture
def reports(world):
    return {"bank": _report(), "retail": _report(world.retail), "cards": _report(world.cards)}


@pytest.fixture
def queued(monkeypatch):
    """What the generate view hands to the task, instead of a broker."""
    calls: list[tuple] = []
    monkeypatch.setattr(tasks.generate_report, "delay", lambda *args: calls.append(args))
    return calls


# --- what each user lists and downloads ---------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "visible"),
    [("supervisor", {"bank", "retail", "cards"}), ("owner", {"retail"}), ("other_owner", {"cards"})],
)
def test_the_list_shows_the_users_reports_only(client, world, reports, role, visible):
    client.force_login(getattr(world, role))
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert set(response.context["cl"].queryset) == {reports[key] for key in visible}


@pytest.mark.parametrize("role", ["member", "cs", "outsider"])
def test_nobody_else_lists_reports(client, world, reports, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_the_list_has_a_scope_column_and_a_department_filter(client, world, reports):
    client.force_login(world.supervisor)
    response = client.get(reverse(CHANGELIST))
    html = response.content.decode()
    assert "Whole bank" in html and str(world.retail) in html
    department_filter = next(f for f in response.context["cl"].filter_specs if f.field_path == "department")
    assert {pk for pk, _name in department_filter.lookup_choices} == {world.retail.pk, world.cards.pk}
    assert department_filter.include_empty_choice  # the whole bank's reports
    filtered = client.get(reverse(CHANGELIST), {"department__id__exact": world.cards.pk})
    assert set(filtered.context["cl"].queryset) == {reports["cards"]}
    bank_only = client.get(reverse(CHANGELIST), {"department__isnull": "True"})
    assert set(bank_only.context["cl"].queryset) == {reports["bank"]}


def test_an_owners_filter_offers_only_their_department(client, world, reports):
    world.cards.owners.add(world.owner)
    client.force_login(world.owner)
    response = client.get(reverse(CHANGELIST))
    department_filter = next(f for f in response.context["cl"].filter_specs if f.field_path == "department")
    assert {pk for pk, _name in department_filter.lookup_choices} == {world.retail.pk, world.cards.pk}
    assert not department_filter.include_empty_choice


def test_an_owner_downloads_their_departments_report_and_another_looks_missing(client, world, reports):
    client.force_login(world.owner)
    response = client.get(reverse("admin:reports_report_download", args=[reports["retail"].pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    for other in ("cards", "bank"):
        assert client.get(reverse("admin:reports_report_download", args=[reports[other].pk])).status_code == 404
    assert client.get(reverse("admin:reports_report_download", args=[reports["cards"].pk + 100])).status_code == 404


def test_owners_are_not_offered_generating_or_regenerating(client, world, reports):
    client.force_login(world.owner)
    response = client.get(reverse(CHANGELIST))
    assert response.context["action_form"] is None  # no action at all: regenerating needs add_report
    assert reverse(GENERATE) not in response.content.decode()
    assert client.get(reverse(GENERATE)).status_code == 403
    assert reverse("admin:reports_dashboard") in response.content.decode()


# --- generating -----------------------------------------------------------------------------
def test_the_form_defaults_to_the_users_language_and_offers_every_scope(client, world):
    client.force_login(world.supervisor)
    form = client.get(reverse(GENERATE)).context["form"]
    assert form.initial["language"] == "en"
    choices = [(str(value), str(label)) for value, label in form.fields["department"].choices]
    assert choices[0] == ("", "Whole bank")
    assert {value for value, _label in choices[1:]} == {str(world.retail.pk), str(world.cards.pk)}
    user_language_set(user=world.supervisor, language="zh-hans")
    form = client.get(reverse(GENERATE)).context["form"]
    assert form.initial["language"] == "zh-hans"


def test_the_form_takes_a_period_and_scope_from_the_query_string(client, world):
    client.force_login(world.supervisor)
    form = client.get(reverse(GENERATE), {"start": "2026-02-02", "end": "2026-02-15", "department": world.cards.pk}).context["form"]
    assert (form.initial["start"], form.initial["end"], form.initial["department"]) == (date(2026, 2, 2), date(2026, 2, 15), world.cards.pk)


def test_generating_records_a_generation_and_hands_its_id_to_the_task(client, world, queued, django_capture_on_commit_callbacks):
    client.force_login(world.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(GENERATE), {"start": "2026-01-05", "end": "2026-01-18", "language": "zh-hans", "department": world.cards.pk}
        )
    assert response.status_code == 302 and response["Location"] == reverse(CHANGELIST)
    generation = ReportGeneration.objects.get()
    assert (generation.period_start, generation.period_end, generation.language) == (PERIOD.start, PERIOD.end, "zh-hans")
    assert generation.department == world.cards and generation.requested_by == world.supervisor
    assert generation.state == GenerationState.QUEUED
    assert queued == [("2026-01-05", "2026-01-18", "zh-hans", world.supervisor.pk, world.cards.pk, generation.pk)]
    assert not Report.objects.exists()  # the task makes it, not the request


def test_generating_the_whole_banks_report(client, world, queued, django_capture_on_commit_callbacks):
    client.force_login(world.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(GENERATE), {"start": "2026-01-05", "end": "2026-01-18", "language": "en", "department": ""})
    generation = ReportGeneration.objects.get()
    assert generation.department is None
    assert queued == [("2026-01-05", "2026-01-18", "en", world.supervisor.pk, None, generation.pk)]


def test_generating_goes_back_to_a_page_of_this_site_only(client, world, queued):
    client.force_login(world.supervisor)
    fields = {"start": "2026-01-05", "end": "2026-01-18", "language": "en", "department": ""}
    back = reverse("admin:reports_dashboard") + "?department="
    assert client.post(reverse(GENERATE), {**fields, "next": back})["Location"] == back
    assert client.post(reverse(GENERATE), {**fields, "next": "https://evil.example/"})["Location"] == reverse(CHANGELIST)


def test_a_wrong_period_names_the_field(client, world, queued):
    client.force_login(world.supervisor)
    response = client.post(reverse(GENERATE), {"start": "2026-01-18", "end": "2026-01-05", "language": "en"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"end": ["The period must end on or after its first day."]}
    assert not ReportGeneration.objects.exists()


def test_regenerating_records_a_generation_per_report(client, world, reports, queued, django_capture_on_commit_callbacks):
    client.force_login(world.supervisor)
    chosen = [reports["bank"].pk, reports["cards"].pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(CHANGELIST), {"action": "regenerate", "_selected_action": chosen, "index": 0})
    assert response.status_code == 302
    generations = {g.department_id: g for g in ReportGeneration.objects.all()}
    assert set(generations) == {None, world.cards.pk}
    assert sorted(queued, key=lambda call: call[4] or 0) == [
        ("2026-01-05", "2026-01-18", "en", world.supervisor.pk, None, generations[None].pk),
        ("2026-01-05", "2026-01-18", "en", world.supervisor.pk, world.cards.pk, generations[world.cards.pk].pk),
    ]


# --- the generations panel ----------------------------------------------------------------------
def test_the_panel_follows_a_generation_from_queued_to_the_download_link(client, world, queued, django_capture_on_commit_callbacks):
    client.force_login(world.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(GENERATE), {"start": "2026-01-05", "end": "2026-01-18", "language": "en", "department": world.retail.pk})
    panel = client.get(reverse(GENERATIONS)).json()
    assert panel["unfinished"] is True
    [row] = panel["rows"]
    assert (row["state"], row["state_label"], row["download_url"], row["finished"]) == ("queued", "Queued", "", False)
    assert (row["period"], row["scope"], row["language"]) == ("2026-01-05 – 2026-01-18", str(world.retail), "English")
    # The list page starts from the same rows, and loads the script that polls.
    listed = client.get(reverse(CHANGELIST))
    assert listed.context["generations"] == panel
    assert 'data-unfinished="true"' in listed.content.decode() and "desk/report_generations.js" in listed.content.decode()

    tasks.generate_report(*queued[0])  # what the worker runs
    panel = client.get(reverse(GENERATIONS)).json()
    [row] = panel["rows"]
    report = Report.objects.get(department=world.retail)
    assert panel["unfinished"] is False
    assert (row["state"], row["state_label"], row["finished"]) == ("done", "Done", True)
    assert row["download_url"] == reverse("admin:reports_report_download", args=[report.pk])
    assert row["download_label"] == "Download"
    assert client.get(row["download_url"]).status_code == 200


def test_the_panel_shows_a_running_and_a_failed_generation(client, world):
    running = ReportGeneration.objects.create(
        period_start=PERIOD.start, period_end=PERIOD.end, language="en", requested_by=world.supervisor, state=GenerationState.RUNNING
    )
    failed = ReportGeneration.objects.create(
        period_start=PERIOD.start, period_end=PERIOD.end, language="zh-hans", requested_by=world.supervisor,
        state=GenerationState.FAILED, error="OSError",
    )  # fmt: skip
    client.force_login(world.supervisor)
    rows = {row["id"]: row for row in client.get(reverse(GENERATIONS)).json()["rows"]}
    assert rows[running.pk]["state_label"] == "Generating" and not rows[running.pk]["finished"]
    assert rows[failed.pk]["error"] == "Generation failed (OSError)." and rows[failed.pk]["finished"]


def test_the_panel_lists_the_users_own_recent_generations(client, world):
    from django.utils import timezone

    mine = ReportGeneration.objects.create(period_start=PERIOD.start, period_end=PERIOD.end, language="en", requested_by=world.supervisor)
    ReportGeneration.objects.create(period_start=PERIOD.start, period_end=PERIOD.end, language="en", requested_by=world.owner)
    ReportGeneration.objects.create(
        period_start=PERIOD.start, period_end=PERIOD.end, language="en", requested_by=world.supervisor,
        requested_at=timezone.now() - timezone.timedelta(days=2),
    )  # fmt: skip
    client.force_login(world.supervisor)
    assert [row["id"] for row in client.get(reverse(GENERATIONS)).json()["rows"]] == [mine.pk]
    client.force_login(world.member)
    assert client.get(reverse(GENERATIONS)).status_code == 403


def test_a_done_generation_of_a_report_the_user_no_longer_reads_has_no_link(client, world):
    report = _report(world.cards)
    ReportGeneration.objects.create(
        period_start=PERIOD.start, period_end=PERIOD.end, language="en", department=world.cards, requested_by=world.owner,
        state=GenerationState.DONE, report=report,
    )  # fmt: skip
    client.force_login(world.owner)  # owns retail, not cards
    [row] = client.get(reverse(GENERATIONS)).json()["rows"]
    assert row["state"] == "done" and row["download_url"] == ""


def test_the_task_moves_a_generation_to_failed_when_rendering_fails(world, monkeypatch):
    generation = ReportGeneration.objects.create(period_start=PERIOD.start, period_end=PERIOD.end, language="en", requested_by=world.supervisor)

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "report_generate", broken)
    with pytest.raises(OSError):
        tasks.generate_report("2026-01-05", "2026-01-18", "en", world.supervisor.pk, None, generation.pk)
    generation.refresh_from_db()
    assert (generation.state, generation.error) == (GenerationState.FAILED, "OSError")


def test_a_broker_that_cannot_be_reached_fails_the_generation_on_the_panel(client, world, monkeypatch, django_capture_on_commit_callbacks):
    def unreachable(*args):
        raise ConnectionRefusedError("no broker")

    monkeypatch.setattr(tasks.generate_report, "delay", unreachable)
    client.force_login(world.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(GENERATE), {"start": "2026-01-05", "end": "2026-01-18", "language": "en", "department": ""})
    assert response.status_code == 302
    [row] = client.get(reverse(GENERATIONS)).json()["rows"]
    assert (row["state"], row["error"]) == ("failed", "Generation failed (ConnectionRefusedError).")

"""Improvement actions are seen by supervisors and by the owning department's people only;
another department's action looks missing (404), in the list, the page and the transitions."""
from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from reports import selectors, services
from reports.models import ImprovementAction


@pytest.fixture
def actions(world):
    def raise_for(department, title):
        return services.improvement_action_create(
            actor=world.supervisor,
            title=title,
            owner_department=department,
            due_date=date(2026, 2, 1),
            target_category=world.routed,
        )

    return {"retail": raise_for(world.retail, "Shorter branch queues"), "cards": raise_for(world.cards, "Fee batch fix")}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("supervisor", {"retail", "cards"}),
        ("owner", {"retail"}),
        ("member", {"retail"}),
        ("other_owner", {"cards"}),
        ("other_member", {"cards"}),
        ("cs", set()),
        ("outsider", set()),
    ],
)
def test_the_selector_shows_each_role_its_departments_actions(world, actions, role, visible):
    listed = set(selectors.improvement_action_list_for_user(getattr(world, role)))
    assert listed == {actions[key] for key in visible}
    events = selectors.improvement_action_events_for_user(getattr(world, role))
    assert {event.action_id for event in events} == {actions[key].pk for key in visible}


def test_anonymous_and_inactive_users_see_none(world, actions):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.improvement_action_list_for_user(AnonymousUser()).exists()
    world.owner.is_active = False
    assert not selectors.improvement_action_list_for_user(world.owner).exists()


@pytest.mark.parametrize(("role", "visible"), [("supervisor", {"retail", "cards"}), ("owner", {"retail"}), ("other_owner", {"cards"})])
def test_the_admin_list_shows_only_the_users_actions(client, world, actions, role, visible):
    client.force_login(getattr(world, role))
    response = client.get(reverse("admin:reports_improvementaction_changelist"))
    assert response.status_code == 200
    assert set(response.context["cl"].queryset) == {actions[key] for key in visible}


def test_the_department_filter_offers_only_departments_of_visible_actions(client, world, actions):
    url = reverse("admin:reports_improvementaction_changelist")
    client.force_login(world.supervisor)
    response = client.get(url)
    department_filter = next(f for f in response.context["cl"].filter_specs if f.field_path == "owner_department")
    assert {pk for pk, _name in department_filter.lookup_choices} == {world.retail.pk, world.cards.pk}
    client.force_login(world.other_owner)
    response = client.get(url)
    assert not [f for f in response.context["cl"].filter_specs if f.field_path == "owner_department"]  # one choice
    assert str(world.retail) not in response.content.decode()


def test_another_departments_action_looks_missing(client, world, actions):
    client.force_login(world.other_owner)
    missing = ImprovementAction.objects.order_by("-pk").first().pk + 100
    for pk in (actions["retail"].pk, missing):
        assert client.get(reverse("admin:reports_improvementaction_change", args=[pk])).status_code == 404
        assert client.get(reverse("admin:reports_improvementaction_history", args=[pk])).status_code == 404
        url = reverse("admin:reports_improvementaction_transition", args=[pk, "start"])
        assert client.get(url).status_code == 404
        assert client.post(url, {"note": ""}).status_code == 404
    actions["retail"].refresh_from_db()
    assert actions["retail"].state == "open"
    # Its own department's action opens and moves as before.
    assert client.get(reverse("admin:reports_improvementaction_change", args=[actions["cards"].pk])).status_code == 200
    url = reverse("admin:reports_improvementaction_transition", args=[actions["cards"].pk, "start"])
    assert client.post(url, {"note": ""}).status_code == 302
    actions["cards"].refresh_from_db()
    assert actions["cards"].state == "in_progress"


def test_the_change_page_shows_the_history_of_a_visible_action(client, world, actions):
    client.force_login(world.owner)
    response = client.get(reverse("admin:reports_improvementaction_change", args=[actions["retail"].pk]))
    assert response.status_code == 200
    assert "Fee batch fix" not in response.content.decode()
    inline = response.context["inline_admin_formsets"][0]
    assert [form.original.action_id for form in inline] == [actions["retail"].pk]


def test_a_supervisor_opens_every_departments_action(client, world, actions):
    client.force_login(world.supervisor)
    for action in actions.values():
        assert client.get(reverse("admin:reports_improvementaction_change", args=[action.pk])).status_code == 200

"""Admin for reports (list, download, generate a period in a task, the generations under way) and
improvement actions.

Nothing here writes a model directly except the request for a generation (a ``ReportGeneration``
row, then the task that moves it); the PDF comes from a Celery task, actions go through
``reports.services``. What a user sees of reports and generations comes from ``reports.selectors``.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.preferences import language_of
from complaints import roles
from complaints.models import Department
from reports import selectors, services
from reports.models import GenerationState, ImprovementAction, ImprovementActionEvent, Report, ReportGeneration
from reports.periods import Period, last_complete_period
from workflows.services import WorkflowError

# The generations panel of the report list: the user's requests of the last day, newest first.
RECENT_GENERATIONS = 5
RECENT_GENERATION_HOURS = 24
UNFINISHED_STATES = (GenerationState.QUEUED, GenerationState.RUNNING)


def generation_departments(user):
    """The departments ``user`` may generate a report for: every one for supervisors (who may also
    generate the whole bank's), the departments they own for everybody else."""
    if roles.is_supervisor(user):
        return Department.objects.order_by("code")
    return Department.objects.filter(pk__in=roles.owned_department_ids(user)).order_by("code")


class GenerateReportForm(forms.Form):
    # An <input type=date> takes ISO dates whatever the language.
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("Last day (included)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    department = forms.ModelChoiceField(
        label=_("Scope"), queryset=Department.objects.none(), required=False, empty_label=_("Whole bank")
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["department"])
        field.queryset = generation_departments(user)
        if not roles.is_supervisor(user):
            # Only the whole bank's readers may ask for the whole bank's report.
            field.required = True
            field.empty_label = None

    def clean(self):
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError({"end": _("The period must end on or after its first day.")})
        return data


def _enqueue_generation(request: HttpRequest, period: Period, language: str, department: Department | None) -> ReportGeneration:
    """Record the request and hand it to the task when it commits (``reports.services``)."""
    user = cast(User, request.user)  # the admin's views are for signed-in staff only
    return services.report_generation_request(period=period, language=language, department=department, actor=user)


def _scope_label(department: Department | None) -> str:
    return department.name if department is not None else gettext("Whole bank")


def recent_generations(user) -> list[ReportGeneration]:
    """The generations ``user`` asked for in the last RECENT_GENERATION_HOURS hours, newest first."""
    since = timezone.now() - timedelta(hours=RECENT_GENERATION_HOURS)
    visible = selectors.report_generation_list_for_user(user).filter(requested_by=user, requested_at__gte=since)
    return list(visible.order_by("-requested_at", "-id")[:RECENT_GENERATIONS])


def generation_row(generation: ReportGeneration, readable_report_ids: set[int]) -> dict:
    """One line of the generations panel, as the page and its JSON endpoint show it."""
    report_id = generation.report_id if generation.state == GenerationState.DONE else None
    download = (
        reverse("admin:reports_report_download", args=[report_id])
        if report_id is not None and report_id in readable_report_ids
        else ""
    )
    return {
        "id": generation.pk,
        "period": str(Period(generation.period_start, generation.period_end)),
        "scope": _scope_label(generation.department),
        "language": str(dict(settings.LANGUAGES).get(generation.language, generation.language)),
        "requested_at": timezone.localtime(generation.requested_at).strftime("%H:%M"),
        "state": generation.state,
        "state_label": str(GenerationState(generation.state).label),
        "finished": generation.state not in UNFINISHED_STATES,
        "download_url": download,
        "download_label": gettext("Download") if download else "",
        "error": gettext("Generation failed (%(error)s).") % {"error": generation.error or "?"}
        if generation.state == GenerationState.FAILED
        else "",
    }


def generations_panel(user) -> dict:
    """The generations panel's rows and whether any is unfinished (the page polls while one is)."""
    generations = recent_generations(user)
    report_ids = {g.report_id for g in generations if g.report_id is not None}
    readable = set(selectors.report_list_for_user(user).filter(pk__in=report_ids).values_list("pk", flat=True))
    rows = [generation_row(generation, readable) for generation in generations]
    return {"rows": rows, "unfinished": any(not row["finished"] for row in rows)}


class ScopedReportDepartmentFilter(admin.RelatedFieldListFilter):
    """Offers the departments of the reports the user can see, and the whole bank's to those who read it."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        self._offers_whole_bank = roles.is_supervisor(request.user)
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = cast(SafeString, gettext("Whole bank"))  # escaped when shown

    @property
    def include_empty_choice(self) -> bool:
        return self._offers_whole_bank

    def field_choices(self, field, request, model_admin):
        visible = selectors.report_list_for_user(request.user).values_list("department_id", flat=True)
        return [(d.pk, str(d)) for d in field.related_model.objects.filter(pk__in=visible).order_by("code")]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["period", "scope", "language", "download", "generated_at", "generated_by_label", "emailed_at", "page_count", "size"]
    list_filter = [("department", ScopedReportDepartmentFilter), "language"]
    date_hierarchy = "period_start"
    readonly_fields = [f.name for f in Report._meta.fields] + ["download"]
    actions = ["regenerate"]
    change_list_template = "admin/reports/report/change_list.html"

    # --- scope: what the user may see comes from reports.selectors ---------------------
    def get_queryset(self, request: HttpRequest):
        return selectors.report_list_for_user(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a stored report is what was sent; regenerating replaces it, nothing removes it

    def has_generate_permission(self, request) -> bool:
        """Who may ask for a PDF: ``add_report`` (supervisors), for the scopes they read."""
        return self.has_view_permission(request) and request.user.has_perm("reports.add_report")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # gone even for whoever is later granted delete_report
        return actions

    @admin.display(description=_("period"), ordering="period_start")
    def period(self, obj: Report) -> str:
        return str(Period(obj.period_start, obj.period_end))

    @admin.display(description=_("scope"), ordering="department__code")
    def scope(self, obj: Report) -> str:
        return _scope_label(obj.department)

    @admin.display(description=_("generated by"))
    def generated_by_label(self, obj: Report) -> str:
        # The model's label is "system" for the API's machines; people read it in their language.
        return obj.generated_by.get_username() if obj.generated_by is not None else gettext("system")

    @admin.display(description=_("PDF"))
    def download(self, obj: Report) -> str:
        url = reverse("admin:reports_report_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    @admin.action(description=_("Regenerate the selected reports (in the background)"), permissions=["generate"])
    def regenerate(self, request, queryset) -> None:
        allowed = set(generation_departments(request.user).values_list("pk", flat=True))
        count = 0
        for report in queryset.select_related("department"):
            if report.department_id is not None and report.department_id not in allowed:
                continue
            if report.department_id is None and not roles.is_supervisor(request.user):
                continue
            _enqueue_generation(request, Period(report.period_start, report.period_end), report.language, report.department)
            count += 1
        self.message_user(request, gettext("%(count)d reports will be regenerated shortly.") % {"count": count})

    def get_urls(self):
        urls = [
            path("generate/", self.admin_site.admin_view(self.generate_view), name="reports_report_generate"),
            path("generations/", self.admin_site.admin_view(self.generations_view), name="reports_report_generations"),
            path("<int:pk>/download/", self.admin_site.admin_view(self.download_view), name="reports_report_download"),
        ]
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        context = {
            "generations": generations_panel(request.user),
            "has_generate_permission": self.has_generate_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def generations_view(self, request: HttpRequest):
        """The generations panel as JSON, which the report list polls while one is unfinished."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return JsonResponse(generations_panel(request.user))

    def download_view(self, request: HttpRequest, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Another department's report looks missing.
        report = get_object_or_404(selectors.report_list_for_user(request.user), pk=pk)
        if not report.file:
            raise Http404
        return FileResponse(report.file.open("rb"), as_attachment=True, filename=report.filename, content_type="application/pdf")

    def _initial(self, request: HttpRequest) -> dict:
        """The form's first values: the last complete period, the whole bank (or the user's first
        department) and the user's language; the query string may name a period and scope."""
        default = last_complete_period(timezone.localdate())
        initial: dict = {"start": default.start, "end": default.end, "language": language_of(request.user)}
        for name in ("start", "end"):
            try:
                initial[name] = date.fromisoformat(request.GET.get(name, ""))
            except ValueError:
                pass
        departments = generation_departments(request.user)
        chosen = departments.filter(pk=request.GET["department"]).first() if request.GET.get("department", "").isdigit() else None
        if chosen is not None:
            initial["department"] = chosen.pk
        elif not roles.is_supervisor(request.user) and departments:
            initial["department"] = departments[0].pk
        return initial

    def generate_view(self, request: HttpRequest):
        if not self.has_generate_permission(request):
            raise PermissionDenied
        form = GenerateReportForm(request.POST or None, initial=self._initial(request), user=request.user)
        if request.method == "POST" and form.is_valid():
            period = Period(form.cleaned_data["start"], form.cleaned_data["end"])
            department = form.cleaned_data["department"]
            _enqueue_generation(request, period, form.cleaned_data["language"], department)
            self.message_user(
                request,
                gettext("The report for %(period)s (%(scope)s) is being generated.")
                % {"period": period, "scope": _scope_label(department)},
            )
            back = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
                back = reverse("admin:reports_report_changelist")
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": gettext("Generate a report"),
        }
        return TemplateResponse(request, "admin/reports/report/generate.html", context)


class ImprovementActionEventInline(admin.TabularInline):
    model = ImprovementActionEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor_label", "kind", "from_state", "to_state", "note"]
    readonly_fields = ["created_at", "actor_label", "kind", "from_state", "to_state", "note"]

    def get_queryset(self, request):
        return selectors.improvement_action_events_for_user(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ScopedOwnerDepartmentFilter(admin.RelatedFieldListFilter):
    """Offers only the departments that own an action the user can see."""

    def field_choices(self, field, request, model_admin):
        visible = selectors.improvement_action_list_for_user(request.user).values_list("owner_department_id", flat=True)
        return [(d.pk, str(d)) for d in field.related_model.objects.filter(pk__in=visible)]


class TransitionForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


ACTION_TRANSITION_LABELS = {
    "start": _("Start"),
    "complete": _("Mark done"),
    "verify": _("Verify"),
}


@admin.register(ImprovementAction)
class ImprovementActionAdmin(admin.ModelAdmin):
    list_display = ["title", "state", "owner_department", "target_cause", "target_category", "due_date", "done_at"]
    list_filter = ["state", ("owner_department", ScopedOwnerDepartmentFilter)]
    search_fields = ["title"]
    inlines = [ImprovementActionEventInline]
    fields = ["title", "description", "target_cause", "target_category", "owner_department", "due_date", "raised_from"]
    change_form_template = "admin/reports/improvementaction/change_form.html"

    # --- scope: what the user may see comes from reports.selectors ---------------------
    def get_queryset(self, request: HttpRequest):
        return selectors.improvement_action_list_for_user(request.user)

    def get_object(self, request, object_id, from_field=None):
        """The visible action, else a 404: another department's action looks missing."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No such improvement action."))
        return obj

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.fields, "state", "started_at", "done_at", "verified_at", "outcome_notes", "created_by"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: ImprovementAction, form, change: bool) -> None:
        if change:
            return  # nothing is editable after creation; transitions have their own view
        created = services.improvement_action_create(
            actor=request.user,
            title=obj.title,
            description=obj.description,
            target_cause=obj.target_cause,
            target_category=obj.target_category,
            owner_department=obj.owner_department,
            due_date=obj.due_date,
            raised_from=obj.raised_from,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def get_inlines(self, request, obj=None):
        return self.inlines if obj is not None else []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["transitions"] = [
                (name, ACTION_TRANSITION_LABELS[name])
                for name in ACTION_TRANSITION_LABELS
                if getattr(obj, name)._django_fsm.has_transition(obj.state)
            ]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="reports_improvementaction_transition",
            ),
        ]
        return urls + super().get_urls()

    def transition_view(self, request: HttpRequest, pk: int, name: str):
        if name not in services.ACTION_TRANSITION_SERVICES or not self.has_view_permission(request):
            raise Http404
        action = get_object_or_404(selectors.improvement_action_list_for_user(request.user), pk=pk)
        form = TransitionForm(request.POST or None)
        change_url = reverse("admin:reports_improvementaction_change", args=[pk])
        if request.method == "POST" and form.is_valid():
            service = services.ACTION_TRANSITION_SERVICES[name]
            note = form.cleaned_data["note"]
            kwargs = {"notes": note} if name == "complete" else ({"note": note} if name == "verify" else {})
            try:
                service(action=action, actor=request.user, **kwargs)
            except WorkflowError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                return HttpResponseRedirect(change_url)
            except ValidationError as exc:
                for errors in exc.message_dict.values():
                    for error in errors:
                        form.add_error("note", error)
            else:
                self.message_user(request, gettext("Done: %(label)s.") % {"label": ACTION_TRANSITION_LABELS[name]})
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": action,
            "form": form,
            "title": f"{ACTION_TRANSITION_LABELS[name]}: {action.title}",
        }
        return TemplateResponse(request, "admin/reports/improvementaction/transition.html", context)

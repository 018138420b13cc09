"""Top-level URLs: the admin, the REST API under /api/v1/, language switching."""
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Reports first: the case API answers every other path under api/v1/ with a JSON 404.
    path("api/v1/reports/", include("api.reports")),
    path("api/v1/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

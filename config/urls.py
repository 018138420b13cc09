"""Top-level URLs: the admin, the REST API under /api/v1/, language switching."""
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("api/v1/", include("complaints.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

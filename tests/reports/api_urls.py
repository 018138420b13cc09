"""The reports API mounted as config/urls.py mounts it, for tests that do not depend on the project's URLs."""
from django.urls import include, path

urlpatterns = [path("api/v1/reports/", include("reports.api"))]

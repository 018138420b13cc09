"""REST API routes under /api/v1/ (PRODUCT section 5)."""
from django.urls import path, re_path

from . import auth, bulk, docs, exports, views
from .exceptions import not_found

urlpatterns = [
    # Behind login unless API_DOCS_PUBLIC (api/docs.py).
    path("schema/", docs.SchemaView.as_view(), name="api-schema"),
    path("docs/", docs.DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("auth/token/rotate/", auth.TokenRotateView.as_view(), name="api-token-rotate"),
    path("auth/token/revoke/", auth.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("complaints/", views.ComplaintCollectionView.as_view(), name="api-complaints"),
    # Before the case route: "bulk" and "export" are not references.
    path("complaints/bulk/", bulk.ComplaintBulkView.as_view(), name="api-complaints-bulk"),
    path("complaints/export/", exports.ComplaintExportView.as_view(), name="api-complaints-export"),
    path("complaints/<str:reference>/", views.ComplaintDetailView.as_view(), name="api-complaint"),
    path("complaints/<str:reference>/events/", views.ComplaintEventsView.as_view(), name="api-complaint-events"),
    *[
        path(
            f"complaints/<str:reference>/transitions/{name}/",
            view.as_view(),
            name=f"api-complaint-{name.replace('_', '-')}",
        )
        for name, view in views.TRANSITION_VIEWS.items()
    ],
    path("departments/", views.DepartmentListView.as_view(), name="api-departments"),
    path("categories/", views.CategoryListView.as_view(), name="api-categories"),
    path("causes/", views.CauseListView.as_view(), name="api-causes"),
    # Anything else under /api/v1/ is a JSON 404, never an HTML page.
    re_path(r"^.*$", not_found),
]

"""REST API routes under /api/v1/ (PRODUCT section 5)."""
urlpatterns: list = []

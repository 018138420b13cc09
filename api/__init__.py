"""The REST API under /api/v1/ (PRODUCT section 5): serializers, views, permissions, urls; above the domain apps."""

"""The type the case admin's mixins are written against: a ``ModelAdmin`` of cases, for mypy only.

At run time the mixins are plain classes combined with ``admin.ModelAdmin`` in
``desk.admin.cases``; to the type checker they are that ``ModelAdmin``, so their use of
``admin_site``, ``opts`` and ``super()`` is checked against Django's own signatures.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib import admin

    from complaints.models import Complaint

    CaseAdminBase = admin.ModelAdmin[Complaint]
else:
    CaseAdminBase = object

"""The admin site: every ModelAdmin of the product, registered when Django autodiscovers ``desk.admin``."""
from . import access, calendars, cases, imports, policies, reference, reports, surges  # noqa: F401  (registration happens on import)

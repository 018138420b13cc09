"""Reports models (the biweekly report and improvement actions come with issue 6)."""

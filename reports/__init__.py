"""Reports: what supervisors read (figures, charts, PDF, improvement actions)."""

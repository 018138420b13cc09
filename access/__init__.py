"""Who may get in: expiring API tokens, the client address behind trusted proxies, login lockout."""

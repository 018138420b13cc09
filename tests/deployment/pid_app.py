"""A WSGI application that answers with its process id after 4 ms.

It waits without holding the GIL, as a Django request does while the database works, so the
worker's main thread is free to accept connections meanwhile."""
from __future__ import annotations

import os
import time


def application(environ, start_response):
    time.sleep(0.004)  # about what one API request takes
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

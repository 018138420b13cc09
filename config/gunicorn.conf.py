"""Gunicorn settings for the web processes: production and the API benchmark use this file.

    gunicorn -c config/gunicorn.conf.py --bind 0.0.0.0:8000

Two worker processes (one per core of the reference 2-core machine), each a gthread worker
with one request thread: a process serves one request at a time, as a sync worker does, but
keeps client connections open between requests (a sync worker closes the connection after
every response, so every request paid for a new TCP connection: about 2.5 ms of worker CPU
per intake). Intake is CPU-bound in Python: a second thread per process measured 10-20 %
less intake throughput and higher list latency on 2 cores (the threads share one GIL).
Raise ``threads`` where requests wait on something slow (a remote database far away).
A kept-alive connection stays with the process that accepted it; the worker class
(``config/gunicorn_worker.py``, gthread's own with a fairer accept) spreads new connections
over the processes.

Command-line options override these values (``--bind``, ``--workers``, ``--threads``);
deployment values otherwise live in the environment and ``config/settings/``.
"""

import os

wsgi_app = "config.wsgi:application"
bind = ["127.0.0.1:8000"]

# Processes x threads. Django keeps one database connection per thread: with
# DATABASE_CONN_MAX_AGE set, that is workers x threads connections to PostgreSQL.
# The web processes keep theirs 60 s unless the environment says otherwise: without it every
# request opens a new PostgreSQL connection (a backend process forked and authenticated per
# request, on top of the request's own few statements).
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")
workers = 2
worker_class = "config.gunicorn_worker.BalancedThreadWorker"
threads = 1

# Keep idle client connections open this many seconds. Behind a load balancer that reuses
# connections, set it above the balancer's own idle timeout.
keepalive = 5

# The longest request line (method, path and query string) gunicorn reads, its own maximum:
# a longer one gets gunicorn's HTML 400 instead of the API's JSON error (a case list's cursor
# and filters fit well within it). The proxy in front has its own limit (nginx: 8 KB).
limit_request_line = 8190

# A request that takes longer than this is killed and its worker restarted.
timeout = 30
graceful_timeout = 30

# The workers' heartbeat files: in memory where there is /dev/shm, so a slow disk cannot
# make the arbiter kill them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Errors to stderr; no access log here (put it on the proxy, which sees the client's address).
errorlog = "-"
loglevel = "info"

"""gunicorn as TechEmpower's Django entry runs it: gevent workers, 3 per core, no access
log."""
import multiprocessing
import os

bind = os.environ.get("TFB_BIND", "127.0.0.1:8082")
workers = int(os.environ.get("TFB_WORKERS", multiprocessing.cpu_count() * 3))
worker_class = "gevent"
keepalive = 120
errorlog = "-"
accesslog = None

"""Settings of the TechEmpower comparison project: DEBUG off, no middleware, one app,
the database from TFB_DATABASE_URL (PostgreSQL, the measured backend)."""
import os
from urllib.parse import unquote, urlsplit

DEBUG = False
SECRET_KEY = "tfb-benchmark-not-a-secret"
ALLOWED_HOSTS = ["*"]

_db = urlsplit(os.environ["TFB_DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db.path.lstrip("/"),
        "USER": unquote(_db.username or ""),
        "PASSWORD": unquote(_db.password or ""),
        "HOST": _db.hostname or "",
        "PORT": str(_db.port or ""),
        # Django 5.1+'s connection pool (psycopg_pool), one per worker process.
        "OPTIONS": {
            "pool": {"min_size": 1, "max_size": int(os.environ.get("TFB_POOL_MAX", "8"))},
        },
    }
}

INSTALLED_APPS = ["world"]
MIDDLEWARE = []
ROOT_URLCONF = "tfb_project.urls"
WSGI_APPLICATION = "tfb_project.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {},
    },
]
USE_I18N = False
USE_TZ = False
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGGING = {"version": 1, "disable_existing_loggers": True}

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A web process: its database sessions get the statement and lock timeouts
# (config/settings.py); workers and management commands never import this.
os.environ["GUICHET_WEB_PROCESS"] = "1"
application = get_asgi_application()

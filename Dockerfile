# Guichet Cloud: one image for web, worker and beat. docker-compose.yml picks
# the process per service; the default is the web server. No HEALTHCHECK here:
# each process needs its own probe, so the health checks live in compose.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Static files are collected at build time and served by WhiteNoise; a fixed
# path instead of the local-run default under .data/ (local state, ignored).
ENV STATIC_ROOT=/app/staticfiles
# Uploaded evidence: compose mounts a volume here so that it is shared by web
# and worker and survives new images.
ENV MEDIA_ROOT=/var/lib/guichet/media
# gunicorn reads WEB_CONCURRENCY itself as its default number of workers.
ENV WEB_CONCURRENCY=3

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall
# them. The lock names local mirrors (--extra-index-url file:///opt/...,
# --find-links /opt/wheels) of the machine that compiled it; here they do not
# exist and pip only warns and uses PyPI, whose files the hashes match.
# pip and setuptools are not pinned in the lock (pip-tools needs them); the
# base image's own copies satisfy them, which --require-hashes accepts.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .

# Build-time steps only read the settings, in production mode (the hashed,
# compressed static files), which refuses to start without a secret key and
# allowed hosts: the dummy values below are exported inside this RUN only, so
# they never reach the runtime image's environment. They run Django's own
# command line (`python -m django`), not manage.py, whose launcher would start
# the embedded PostgreSQL and Redis that a build needs no more than compose
# does. Translations are compiled when the tree has catalogues (gettext is
# installed for that step only, then removed).
RUN set -eux; \
    export DJANGO_SETTINGS_MODULE=config.settings \
           DJANGO_DEBUG=0 \
           DJANGO_SECRET_KEY=build-time-dummy-secret-key-never-used-at-runtime-0123456789 \
           DJANGO_ALLOWED_HOSTS=localhost; \
    if find . -path '*/locale/*' -name '*.po' | grep -q .; then \
        apt-get update; \
        apt-get install -y --no-install-recommends gettext; \
        python -m django compilemessages; \
        apt-get purge -y --auto-remove gettext; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    python -m django collectstatic --noinput

# Unprivileged runtime user with a fixed numeric id (orchestrators that check
# runAsNonRoot need a number). The code stays owned by root, read-only to the
# app; only the media folder is writable.
RUN set -eux; \
    groupadd --system --gid 10001 guichet; \
    useradd --system --uid 10001 --gid guichet --create-home --home-dir /home/guichet \
        --shell /usr/sbin/nologin guichet; \
    install -d -o guichet -g guichet /var/lib/guichet/media
USER 10001:10001

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]

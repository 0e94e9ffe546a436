# syntax=docker/dockerfile:1
# The production image of the suite. One image runs every process of docker-compose.yml:
# gunicorn (web), the Celery worker and Celery beat. Build: `docker compose build`.

# --------------------------------------------------------------------------- front-end assets
# htmx, Pico CSS and Swagger UI come from the npm registry and are served by the app itself
# (no CDN). The copies are the Makefile's `$(VENDOR)/.stamp` target; tests/test_deployment.py
# checks that the two stay alike.
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
RUN mkdir -p vendor/swagger-ui \
 && cp node_modules/htmx.org/dist/htmx.min.js vendor/ \
 && cp node_modules/@picocss/pico/css/pico.min.css vendor/ \
 && cp node_modules/echarts/dist/echarts.min.js vendor/ \
 && cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js \
       node_modules/swagger-ui-dist/swagger-ui.css vendor/swagger-ui/

# --------------------------------------------------------------------------- build the package
# Assets and compiled catalogs must be in the source tree before `pip install .`, which copies
# templates, static files, translations and migrations into site-packages (package-data).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
COPY core core
COPY crm crm
COPY inventory inventory
COPY production production
COPY purchasing purchasing
COPY finance finance
COPY reports reports
COPY api api
COPY --from=assets /src/vendor core/static/vendor
# Babel (a dependency of Flask-Babel) provides pybabel; the .mo files are build output, not in git.
# The last step imports the installed package (-P: not ./core) to prove the install is whole.
RUN pip install "Babel>=2.12" \
 && pybabel compile -d core/translations \
 && pip install . \
 && python -P -c "import core.app"

# --------------------------------------------------------------------------- runtime
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    INSTANCE_PATH=/var/lib/suite
RUN groupadd --system --gid 10001 suite \
 && useradd --system --uid 10001 --gid suite --home-dir /var/lib/suite --no-create-home suite \
 && mkdir -p /var/lib/suite \
 && chown suite:suite /var/lib/suite
COPY --from=build /opt/venv /opt/venv
# The code runs from site-packages; the working directory is only the (writable) home of the
# Celery beat schedule file and the instance folder.
WORKDIR /var/lib/suite
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "core.app:create_app()"]

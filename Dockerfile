# Guichet's image: the app under gunicorn, the RQ worker and the sandbox portal share it.
# Dependencies come from the lock file (hashes checked), the same set `make test` ran against.
# Guichet itself runs from its source tree in /app (PYTHONPATH), as in a checkout: it is not
# installed as a wheel, whose top-level packages (channels, dialogs...) would be generic names in
# site-packages and would leave locales/ behind.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000 PYTHONPATH=/app
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml babel.cfg ./
COPY channels channels
COPY dialogs dialogs
COPY nlu nlu
COPY integrations integrations
COPY locales locales
RUN python -m dialogs.catalogues compile && python -m nlu.train
RUN useradd --create-home guichet && mkdir -p /app/var && chown guichet /app/var
USER guichet
EXPOSE 8000
CMD ["gunicorn", "-c", "python:channels.gunicorn_conf", "channels.app:create_app()"]

# ATS Bot for a district server. Build: docker build -t ats-bot .   Run with compose.yaml (bot + dashboard + PostgreSQL).
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app app
COPY core core
COPY bot bot
COPY flows flows
COPY storage storage
COPY reminders reminders
COPY cases cases
COPY reports reports
COPY web web
COPY locales locales
COPY scripts scripts
RUN pip install --no-cache-dir -e . && bash scripts/compile_bytecode.sh python && useradd --create-home ats && mkdir -p /data && chown ats /data
USER ats
ENV DATABASE_URL=sqlite:////data/ats-bot.db FILES_DIR=/data/files KEY_FILE=/data/ats-bot.key HEALTH_PORT=8080
EXPOSE 8080 8443 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"
# Migrations on start: the bot refuses to run on a schema that is behind, so upgrade first.
CMD ["sh", "-c", "ats-bot db upgrade && ats-bot regions load ${KABUPATEN:-33.26} && exec ats-bot ${MODE:-run}"]

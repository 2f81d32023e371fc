# HTX Advisor: one bot instance. See compose.yaml and README "Running at scale".
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md bot.py ./
COPY advisor ./advisor
COPY tgemu ./tgemu
COPY sandbox ./sandbox
RUN pip install ".[postgres]"
# The knowledge folder must be writable by the bot: /kb applies edits into it, and each
# instance follows versions applied by another one.
COPY knowledge ./knowledge
RUN useradd --system --home /app advisor && chown -R advisor /app/knowledge
USER advisor
EXPOSE 8443
CMD ["python", "bot.py"]

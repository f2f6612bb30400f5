# Browser libraries from npm (Chart.js for the reports page), never committed.
FROM node:20-slim AS browser-libs
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CONVERSE_VAR_DIR=/data/var
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
COPY --from=browser-libs /app/node_modules/chart.js/dist /app/node_modules/chart.js/dist
RUN useradd --create-home converse && mkdir -p /data/var /data/media && chown -R converse /data
USER converse
EXPOSE 8000

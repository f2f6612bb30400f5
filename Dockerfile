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
# Exactly the tested versions, every file checked against its hash (see `make lock`).
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY . .
COPY --from=browser-libs /app/node_modules/chart.js/dist /app/node_modules/chart.js/dist
RUN useradd --create-home converse && mkdir -p /data/var /data/media && chown -R converse /data
USER converse
EXPOSE 8000

# syntax=docker/dockerfile:1
#
# The platform as one stateless container (DESIGN.md section 3).
#
#   docker build -t gx-service-vouchers .
#   docker run -p 3000:3000 \
#     -e DATABASE_URL=postgres://user:pass@db:5432/vouchers -e REDIS_URL=redis://redis:6379 \
#     -e ENCRYPTION_KEYS="k1:$(openssl rand -base64 32)" \
#     gx-service-vouchers
#
# NODE_ENV=production: no demo data, no /dev/sms outbox, no CAPTCHA_TEST_ANSWER (the server refuses
# to start with any of them), ENCRYPTION_KEYS required (keep it in a secret store; the example above
# makes a new key on every run, which is only good for a trial), HSTS and Secure cookies on. DATA_DIR (/data) holds the uploaded
# files: mount a volume there (shared between instances when several run). Without DATABASE_URL the
# app falls back to the embedded PGlite in DATA_DIR and an in-memory cache: fine for a trial, but
# production runs several instances on one PostgreSQL and one Redis.
# Migrations run at start under an advisory lock, so several instances may start at once;
# `docker run ... node_modules/.bin/tsx src/cli/migrate.ts` runs them on their own, and
# `... src/cli/admin-create.ts --username NAME` (with -it, or -e ADMIN_PASSWORD) creates the first admin.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: production dependencies only, exactly as locked (tsx is one: it runs the TypeScript) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
# Code and dependencies belong to root and are read-only for the app user.
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY migrations ./migrations
COPY views ./views
COPY static ./static
COPY src ./src
# The app user (uid 1000 "node", from the base image) may write only DATA_DIR.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Liveness only (/readyz also checks the database and the cache). Uses Node's fetch: the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# One process: node with tsx as its loader gets SIGTERM itself and drains (src/lifecycle.ts). Not the
# tsx wrapper: it SIGKILLs its child when the child has not acknowledged a relayed signal within 30 ms,
# which a busy server may not.
CMD ["node", "--import", "tsx", "src/main.ts"]

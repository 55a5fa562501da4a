# syntax=docker/dockerfile:1
# The `portcullis` sidecar image (reverse proxy and forward-auth service, DESIGN §7).
#
#   docker build -f docker/sidecar.Dockerfile -t portcullis/sidecar .      (from the repo root)
#
# Stage 1 runs docker/build.sh — the same script test/e2e/docker-build.test.ts runs — which does
# `npm ci` from the lockfile, compiles core, redis and the sidecar, and lays out /app with
# production dependencies only. Stage 2 is the runtime: no npm, no compiler, no sources, no shell
# needed for the health check, a non-root user and a read-only /app.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first so the dependency layer is cached across source edits.
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/core/package.json packages/core/tsconfig.json packages/core/
COPY packages/redis/package.json packages/redis/tsconfig.json packages/redis/
COPY packages/sidecar/package.json packages/sidecar/tsconfig.json packages/sidecar/
COPY packages/emulator/package.json packages/emulator/
COPY packages/express/package.json packages/express/
COPY test/package.json test/
COPY packages/core/src packages/core/src
COPY packages/redis/src packages/redis/src
COPY packages/sidecar/src packages/sidecar/src
COPY packages/sidecar/bin packages/sidecar/bin
COPY docker/build.sh docker/build.sh
RUN ./docker/build.sh sidecar /app

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# Owned by root and not writable by the runtime user: the process cannot alter its own code.
COPY --from=build /app /app
# `kubectl exec … -- portcullis revoke …` (docs/operations.md) finds the CLI by name.
ENV PATH=/app/node_modules/.bin:$PATH
WORKDIR /app/packages/sidecar
# The official image's unprivileged user (uid 1000); Kubernetes manifests also set runAsNonRoot.
USER node
# Main listener (proxy / forward-auth / webhooks) and admin listener (health, metrics, operator API).
EXPOSE 8080 9090
STOPSIGNAL SIGTERM
# `portcullis healthcheck` probes the admin listener's /healthz (PORTCULLIS_ADMIN_LISTEN): no shell,
# no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/cli.js", "healthcheck"]
ENTRYPOINT ["node", "dist/cli.js"]

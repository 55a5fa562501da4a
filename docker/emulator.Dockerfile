# syntax=docker/dockerfile:1
# The `portcullis-emulator` image: a local Frontegg-compatible and OAuth 2.0 authority for demos
# and tests. DEVELOPMENT ONLY — never deploy it where real tokens are expected.
#
#   docker build -f docker/emulator.Dockerfile -t portcullis/emulator .    (from the repo root)
#
# Same two stages as the sidecar image: docker/build.sh in a build stage, production
# dependencies only in the runtime stage, non-root user.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/emulator/package.json packages/emulator/tsconfig.json packages/emulator/
COPY packages/core/package.json packages/core/
COPY packages/redis/package.json packages/redis/
COPY packages/sidecar/package.json packages/sidecar/
COPY packages/express/package.json packages/express/
COPY test/package.json test/
COPY packages/emulator/src packages/emulator/src
# Shipped as they are: the web console (/console) and the bin wrapper.
COPY packages/emulator/console packages/emulator/console
COPY packages/emulator/bin packages/emulator/bin
COPY docker/build.sh docker/build.sh
RUN ./docker/build.sh emulator /app

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
COPY --from=build /app /app
# `portcullis-emulator` by name, e.g. in `docker exec`.
ENV PATH=/app/node_modules/.bin:$PATH
WORKDIR /app/packages/emulator
USER node
EXPOSE 4000
STOPSIGNAL SIGTERM
# The emulator binds loopback unless told otherwise; in a container it must listen on the
# container's interface. Its tokens' `iss` is http://<host>:<port>, so compose passes the service
# name as --host (see docker/compose.yaml) to make `iss` match the URL the sidecars use.
# The health check runs inside the container: a node one-liner, no shell or curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/.well-known/jwks.json').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--host", "0.0.0.0", "--port", "4000"]

# syntax=docker/dockerfile:1
# Tendero gateway image. Built from the repo root (docker-compose.yml):
#   docker build -f deploy/docker/gateway.Dockerfile -t tendero-gateway .
# The runtime stage holds the same self-contained release the Debian appliance installs
# (deploy/appliance/build-release.mjs): the esbuild bundle plus production node_modules.

FROM node:20-bookworm AS build
WORKDIR /src
# Manifests first, so the npm ci layer is cached until a dependency changes.
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY gateway/package.json gateway/
COPY cloud/package.json cloud/
COPY dashboard/package.json dashboard/
COPY simulator/package.json simulator/
COPY node-red-flows/package.json node-red-flows/
# The whole workspace, as the lockfile describes it; better-sqlite3 and serialport get
# their native binaries for this image's arch and Node ABI here.
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY protocol/ protocol/
COPY gateway/ gateway/
COPY deploy/appliance/ deploy/appliance/
ARG VERSION=docker
RUN npm run build -w @tendero/gateway \
 && node deploy/appliance/build-release.mjs --version "$VERSION" --out /out --no-tar \
 && mv "/out/tendero-gateway-$VERSION" /out/release

# Same Debian and Node major as the build stage: the native modules must match.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=131072 \
    GATEWAY_DATA_DIR=/var/lib/tendero/gateway
WORKDIR /opt/tendero/gateway
COPY --from=build /out/release/ ./
RUN mkdir -p /var/lib/tendero/gateway && chown node:node /var/lib/tendero/gateway
VOLUME /var/lib/tendero/gateway
USER node
# MQTT, MQTT over WebSocket, local API.
EXPOSE 1883 8883 8090
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GATEWAY_API_PORT || 8090) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: queued log events are committed before exit.
CMD ["node", "dist/main.mjs"]

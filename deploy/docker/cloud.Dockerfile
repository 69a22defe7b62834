# syntax=docker/dockerfile:1
# Tendero cloud image: API, ingest, Socket.IO and the built dashboard on one port.
#   docker build -f deploy/docker/cloud.Dockerfile -t tendero-cloud .

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY gateway/package.json gateway/
COPY cloud/package.json cloud/
COPY dashboard/package.json dashboard/
COPY simulator/package.json simulator/
COPY node-red-flows/package.json node-red-flows/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY protocol/ protocol/
COPY gateway/ gateway/
COPY cloud/ cloud/
COPY dashboard/ dashboard/
RUN npm run build -w @tendero/dashboard

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CLOUD_DATA_DIR=/var/lib/tendero/cloud \
    DASHBOARD_DIR=/app/dashboard/dist
WORKDIR /app
# The cloud runs its TypeScript through tsx (cloud/README.md, "Run"), a root dev
# dependency, so node_modules comes over whole rather than pruned with --omit=dev.
COPY --from=build /app/package.json /app/package-lock.json /app/tsconfig.base.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/protocol/ protocol/
# The cloud checks rules with the gateway's own code (@tendero/gateway/rules).
COPY --from=build /app/gateway/ gateway/
COPY --from=build /app/cloud/ cloud/
COPY --from=build /app/dashboard/package.json dashboard/
COPY --from=build /app/dashboard/dist/ dashboard/dist/
RUN mkdir -p /var/lib/tendero/cloud && chown node:node /var/lib/tendero/cloud
VOLUME /var/lib/tendero/cloud
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CLOUD_PORT || 8080) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Migrations run at start (cloud/src/server.ts); SIGTERM closes it gracefully.
CMD ["node", "--import", "tsx", "cloud/src/server.ts"]

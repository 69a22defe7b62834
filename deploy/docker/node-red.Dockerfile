# syntax=docker/dockerfile:1
# Node-RED 4.x with Tendero's nodes (node-red-contrib-tendero, node-red-flows/) and its
# ready flows. Built from the repo root:
#   docker build -f deploy/docker/node-red.Dockerfile -t tendero-node-red .

FROM nodered/node-red:4.1 AS pack
WORKDIR /pkg
COPY --chown=node-red:node-red node-red-flows/ ./
# A tarball, because `npm install <folder>` would only link to a folder of the build stage.
RUN npm pack --pack-destination /tmp --ignore-scripts \
 && mv /tmp/node-red-contrib-tendero-*.tgz /tmp/node-red-contrib-tendero.tgz

FROM nodered/node-red:4.1
# Installed beside Node-RED itself (/usr/src/node-red), not in /data: the /data volume
# outlives the image, so nodes there would not change on an image upgrade.
COPY --from=pack /tmp/node-red-contrib-tendero.tgz /tmp/
RUN npm install --omit=dev --no-audit --no-fund --no-update-notifier /tmp/node-red-contrib-tendero.tgz \
 && rm /tmp/node-red-contrib-tendero.tgz
# The ready flows: merged into /data/flows.json on the first start only (a technician's
# later edits live in the volume), and kept here to import again from the editor.
COPY --chown=node-red:node-red node-red-flows/flows/ /usr/src/node-red/tendero-flows/
COPY --chown=node-red:node-red deploy/docker/node-red/seed-flows.cjs deploy/docker/node-red/entrypoint.sh /usr/src/node-red/tendero/
ENV TENDERO_FLOWS_DIR=/usr/src/node-red/tendero-flows
USER node-red
EXPOSE 1880
# /healthcheck.js ships with the nodered/node-red image (it reads the port from settings).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/healthcheck.js"]
ENTRYPOINT ["/usr/src/node-red/tendero/entrypoint.sh"]

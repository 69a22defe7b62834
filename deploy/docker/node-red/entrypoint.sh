#!/bin/sh
# Seeds /data/flows.json with Tendero's ready flows on the first start, then hands over
# to the nodered/node-red image's own entrypoint (npm start with --userDir /data).
set -e
node /usr/src/node-red/tendero/seed-flows.cjs
cd /usr/src/node-red
exec ./entrypoint.sh "$@"

import { UplinkAck, UplinkBatch } from '@tendero/protocol'

// The uplink wire format belongs to @tendero/protocol; the route only reuses it.
export { UplinkAck, UplinkBatch }

export const INGEST_BODY_LIMIT = 5 * 1024 * 1024

/** What orders two writes of one alarm or one device state key. */
export interface WriteOrder {
  updatedAt: number
  /** The gateway event behind the write; absent on what the cloud stored before it kept them. */
  gatewayId?: string | undefined
  seq?: number | undefined
}

/**
 * Whether `incoming` is a later write than `current`, by the cloud's rule: one gateway's
 * writes go by its seq, because its event times can go back (events from before a clock
 * sync are re-stamped with an estimate), while writes from different gateways, or
 * without a seq, go by time; on equal times the later arrival wins.
 */
export function comesAfter(incoming: WriteOrder, current: WriteOrder): boolean {
  const sameGateway = incoming.gatewayId !== undefined && incoming.gatewayId === current.gatewayId
  if (sameGateway && incoming.seq !== undefined && current.seq !== undefined) return incoming.seq >= current.seq
  return incoming.updatedAt >= current.updatedAt
}

/** The order of a write at `updatedAt`, with the gateway and seq only when both are known. */
export function writeOrder(updatedAt: number, source: { gatewayId?: string | undefined; seq?: number | undefined }): WriteOrder {
  const { gatewayId, seq } = source
  return gatewayId !== undefined && seq !== undefined ? { updatedAt, gatewayId, seq } : { updatedAt }
}

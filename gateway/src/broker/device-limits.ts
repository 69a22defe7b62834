import Type, { type Static } from 'typebox'
import { MAX_PAYLOAD_BYTES } from '@tendero/protocol'

/** Per-device overrides in the site config: `devices[].limits`. */
export const DeviceLimitsSchema = Type.Object(
  {
    /** Sustained messages per second; 0 = no rate limit for this device. */
    messagesPerSecond: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000 })),
    /** Messages the device may send at once after being quiet. */
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** Largest payload accepted; can only be lowered below the protocol's limit. */
    maxPayloadBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAYLOAD_BYTES })),
  },
  { additionalProperties: false },
)
export type DeviceLimits = Static<typeof DeviceLimitsSchema>

/** Gateway-wide device limits (env), which `devices[].limits` override. */
export interface SecurityConfig {
  messagesPerSecond: number
  burst: number
  maxPayloadBytes: number
  /** A device timestamp further ahead of the gateway clock than this is refused (ms). */
  maxAheadMs: number
  /** A device timestamp further behind the gateway clock than this is refused (ms). */
  maxBehindMs: number
}

/**
 * Generous on purpose: an ESP32 sends about one message a second, but one replaying its
 * ring buffer after an outage sends hundreds at once, and a rate-limited message is
 * dropped. The limit is there to stop one runaway device starving the others.
 */
export const DEFAULT_SECURITY: SecurityConfig = {
  messagesPerSecond: 100,
  burst: 1000,
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  maxAheadMs: 5 * 60_000,
  maxBehindMs: 7 * 24 * 3600_000,
}

export function effectiveLimits(global: SecurityConfig, device: DeviceLimits | undefined): Required<DeviceLimits> {
  return {
    messagesPerSecond: device?.messagesPerSecond ?? global.messagesPerSecond,
    burst: device?.burst ?? global.burst,
    maxPayloadBytes: Math.min(device?.maxPayloadBytes ?? global.maxPayloadBytes, MAX_PAYLOAD_BYTES),
  }
}

/** Classic token bucket: `burst` tokens, refilled at `perSecond`; 0 per second = unlimited. */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst
    this.last = now
  }

  take(now: number): boolean {
    if (this.perSecond <= 0) return true
    // A wall clock stepped back must not cost tokens.
    const elapsed = Math.max(0, now - this.last)
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.perSecond)
    this.last = Math.max(this.last, now)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

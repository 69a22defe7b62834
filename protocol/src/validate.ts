import type { TSchema, Static } from 'typebox'
import { Compile } from 'typebox/compile'

/** MQTT payloads larger than this are refused before parsing (an ESP32 sends < 1 KiB). */
export const MAX_PAYLOAD_BYTES = 16 * 1024

export interface Validator<T> {
  check(value: unknown): value is T
  /** Human-readable reasons, e.g. `/readings/temperature_c: must be number`. */
  explain(value: unknown): string[]
}

/** Compile once at module load; `check` is then a generated function, cheap per message. */
export function compile<S extends TSchema>(schema: S): Validator<Static<S>> {
  const compiled = Compile(schema)
  return {
    check: (value: unknown): value is Static<S> => compiled.Check(value),
    explain: (value: unknown) =>
      [...compiled.Errors(value)]
        .filter((e) => e.keyword !== 'boolean')
        .slice(0, 5)
        .map((e) => `${e.instancePath || '/'}: ${e.message}`),
  }
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string }

/** Decode a JSON payload from the wire and check it, never throwing. */
export function parsePayload<T>(payload: Uint8Array | string, validator: Validator<T>): ParseResult<T> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload too large: ${size} bytes > ${MAX_PAYLOAD_BYTES}` }
  let value: unknown
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'))
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' }
  }
  if (validator.check(value)) return { ok: true, value }
  return { ok: false, reason: validator.explain(value).join('; ') || 'schema violation' }
}

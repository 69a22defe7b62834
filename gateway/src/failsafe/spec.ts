import Type, { type Static } from 'typebox'
import { STATE_KEY_PATTERN, compile } from '@tendero/protocol'
import type { CommandIntent } from '../rules/kinds.js'

/**
 * A relay's safe state: what its node does with it, on its own, once it loses the
 * gateway (keepalive expired, gateway process dead). Same shape as the protocol's
 * `failsafe.set` command, which carries it to the node on every connect.
 */
export const FailsafeSpec = Type.Object(
  {
    mode: Type.Union([Type.Literal('off'), Type.Literal('on'), Type.Literal('duty')]),
    /** For `duty`: seconds on, then seconds off, repeating. */
    onSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    offSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
)
export type FailsafeSpec = Static<typeof FailsafeSpec>

/**
 * One entry of a device's `relays`: a bare name, or a name with its safe state. The
 * `failsafe` field is loose here and checked by `explainFailsafe`, so a typo gets an
 * error at its own path instead of "must match a schema in anyOf" on the whole entry.
 */
export const RelayEntry = Type.Union([
  Type.String({ pattern: STATE_KEY_PATTERN }),
  Type.Object(
    { name: Type.String({ pattern: STATE_KEY_PATTERN }), failsafe: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  ),
])
export type RelayEntry = string | { name: string; failsafe?: FailsafeSpec | undefined }

/**
 * A relay with no declared safe state falls back to `off`: de-energised is where a relay
 * ends up on a power cut anyway, so it is the one default that cannot surprise anyone
 * (a valve closes, a heater stops). Anything else must be written down.
 */
export const DEFAULT_FAILSAFE: Readonly<FailsafeSpec> = Object.freeze({ mode: 'off' })

const specValidator = compile(FailsafeSpec)
const FAILSAFE_MODES: readonly FailsafeSpec['mode'][] = ['off', 'on', 'duty']

/** Reasons (with JSON paths under `path`) why `value` is not a usable safe state; empty if it is. */
export function explainFailsafe(value: unknown, path: string): string[] {
  const mode = (value as { mode?: unknown } | null)?.mode
  // The schema would say "must be equal to constant" once per literal; say it once, plainly.
  if (typeof value === 'object' && !FAILSAFE_MODES.includes(mode as FailsafeSpec['mode']))
    return [`${path}/mode: must be one of ${FAILSAFE_MODES.join(', ')}, got ${JSON.stringify(mode)}`]
  if (!specValidator.check(value)) return specValidator.explain(value).map((r) => `${path}${r.startsWith('/:') ? r.slice(1) : r}`)
  const reasons: string[] = []
  if (value.mode === 'duty') {
    for (const key of ['onSeconds', 'offSeconds'] as const)
      if (value[key] === undefined) reasons.push(`${path}/${key}: required when mode is "duty"`)
  } else {
    for (const key of ['onSeconds', 'offSeconds'] as const)
      if (value[key] !== undefined) reasons.push(`${path}/${key}: only allowed when mode is "duty", mode is "${value.mode}"`)
  }
  return reasons
}

export function relayName(entry: RelayEntry): string {
  return typeof entry === 'string' ? entry : entry.name
}

/** Every relay of a device with its effective safe state (declared, or DEFAULT_FAILSAFE). */
export function deviceFailsafes(relays: readonly RelayEntry[] | undefined): { relay: string; failsafe: FailsafeSpec }[] {
  return (relays ?? []).map((entry) => ({
    relay: relayName(entry),
    failsafe: (typeof entry === 'string' ? undefined : entry.failsafe) ?? DEFAULT_FAILSAFE,
  }))
}

/** The `failsafe.set` commands that tell a node the safe state of each of its relays. */
export function failsafeCommands(relays: readonly RelayEntry[] | undefined): CommandIntent[] {
  return deviceFailsafes(relays).map(({ relay, failsafe }) => ({ kind: 'failsafe.set', relay, ...failsafe }))
}

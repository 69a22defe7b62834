import Type from 'typebox'

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()])

/** The clock as /health and GET /api/log/stats show it (ClockStatus plus the re-stamp count). */
export const ClockStatusSchema = Type.Object({
  mode: Type.Union([Type.Literal('auto'), Type.Literal('trusted'), Type.Literal('cloud'), Type.Literal('ntp'), Type.Literal('simulated')]),
  synced: Type.Boolean(),
  source: Nullable(Type.Union([Type.Literal('trusted'), Type.Literal('cloud'), Type.Literal('ntp'), Type.Literal('simulated')])),
  offsetMs: Type.Number(),
  lastSampleAt: Nullable(Type.Number()),
  rttMs: Nullable(Type.Number()),
  syncedAt: Nullable(Type.Number()),
  lastError: Nullable(Type.String()),
  /** Events of this boot re-stamped in the log after the clock synced. */
  restamped: Type.Integer(),
})

import type { Readable } from 'node:stream'
import Type from 'typebox'

const EpochMs = Type.Integer({ minimum: 0 })

export const SiteParams = Type.Object({ siteId: Type.String({ maxLength: 64 }) })

export const RESOLUTIONS = ['raw', '1m', '1h'] as const
export type Resolution = (typeof RESOLUTIONS)[number]

export const SERIES_DEFAULT_WINDOW_MS = 24 * 3600_000
/** Raw points one series answer holds at most (a day at one reading per 10 s is 8,640). */
export const RAW_MAX_POINTS = 20_000
export const RAW_DEFAULT_LIMIT = 10_000
/** Buckets one downsampled answer may span: a year of hours is 8,784. */
export const MAX_BUCKETS = 20_000

export const SeriesQuery = Type.Object({
  deviceId: Type.String({ minLength: 1, maxLength: 64 }),
  metric: Type.String({ minLength: 1, maxLength: 48 }),
  /** Epoch ms, inclusive; default `to` minus one day. */
  from: Type.Optional(EpochMs),
  /** Epoch ms, exclusive; default now. */
  to: Type.Optional(EpochMs),
  resolution: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('raw'), Type.Literal('1m'), Type.Literal('1h')])),
  /** Raw resolution only: at most this many points, the oldest first. */
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: RAW_MAX_POINTS })),
})
export type SeriesQuery = Type.Static<typeof SeriesQuery>

/**
 * One point of a chart. A raw reading has min = avg = max and count 1, unless it stands for
 * a rollup the gateway made under its disk budget (then count is the readings it folded).
 * A bucket's avg weighs each point by its count.
 */
export const SeriesPoint = Type.Object({
  /** Start of the bucket, or the reading's time, epoch ms. */
  time: EpochMs,
  min: Type.Number(),
  avg: Type.Number(),
  max: Type.Number(),
  count: Type.Integer({ minimum: 1 }),
})
export type SeriesPoint = Type.Static<typeof SeriesPoint>

export const Series = Type.Object({
  deviceId: Type.String(),
  metric: Type.String(),
  from: EpochMs,
  to: EpochMs,
  /** The resolution used: what was asked, or what `auto` chose for the range. */
  resolution: Type.Union([Type.Literal('raw'), Type.Literal('1m'), Type.Literal('1h')]),
  /** Raw only: true when `limit` cut the answer short (ask again from the last time + 1). */
  truncated: Type.Boolean(),
  items: Type.Array(SeriesPoint),
})
export type Series = Type.Static<typeof Series>

/** Longest range one CSV export covers. */
export const EXPORT_MAX_RANGE_MS = 366 * 24 * 3600_000

export const ExportQuery = Type.Object({
  deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  metric: Type.Optional(Type.String({ minLength: 1, maxLength: 48 })),
  from: Type.Optional(EpochMs),
  to: Type.Optional(EpochMs),
})
/** The CSV body: a stream, which Fastify sends as it is, without serializing it. */
export const CsvBody = Type.Unsafe<Readable>({ type: 'string', format: 'binary' })

export type ExportQuery = Type.Static<typeof ExportQuery>

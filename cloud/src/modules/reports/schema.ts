import Type from 'typebox'

export const ReportParams = Type.Object({ siteId: Type.String({ maxLength: 64 }) })

export const REPORT_FORMATS = ['json', 'csv', 'pdf'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]
export const REPORT_LANGS = ['es', 'en'] as const
export type ReportLang = (typeof REPORT_LANGS)[number]

export const ColdChainQuery = Type.Object({
  /** The site's local day, YYYY-MM-DD; default today on the site's clock (a partial day). */
  date: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' })),
  /** One device; default every fridge and freezer of the site. */
  deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  format: Type.Optional(Type.Union(REPORT_FORMATS.map((f) => Type.Literal(f)))),
  lang: Type.Optional(Type.Union(REPORT_LANGS.map((l) => Type.Literal(l)))),
})
export type ColdChainQuery = Type.Static<typeof ColdChainQuery>

const EpochMs = Type.Integer({ minimum: 0 })
const NullableNumber = Type.Union([Type.Number(), Type.Null()])

export const ReportBand = Type.Object({
  minC: NullableNumber,
  maxC: NullableNumber,
  /** 'device': the device's own coldBand; 'default': its kind's (modules/reports/bands.ts). */
  origin: Type.Union([Type.Literal('device'), Type.Literal('default')]),
})

export const ReportExcursion = Type.Object({
  start: EpochMs,
  end: EpochMs,
  durationMs: Type.Integer({ minimum: 0 }),
  direction: Type.Union([Type.Literal('high'), Type.Literal('low')]),
  peakC: Type.Number(),
  closedBy: Type.Union([Type.Literal('reading'), Type.Literal('gap'), Type.Literal('end')]),
  alarmCovered: Type.Boolean(),
  alarmIds: Type.Array(Type.String()),
})

export const ReportGap = Type.Object({
  start: EpochMs,
  end: EpochMs,
  durationMs: Type.Integer({ minimum: 0 }),
  source: Type.Union([Type.Literal('silent'), Type.Literal('gateway')]),
  /** no_readings: nothing arrived; downsampled: kept as per-minute rollups; dropped: discarded by the gateway. */
  kind: Type.Union([Type.Literal('no_readings'), Type.Literal('downsampled'), Type.Literal('dropped')]),
})

export const Verdict = Type.Union([Type.Literal('ok'), Type.Literal('excursion'), Type.Literal('incomplete')])

export const FridgeReport = Type.Object({
  deviceId: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  metric: Type.String(),
  band: ReportBand,
  verdict: Verdict,
  readings: Type.Integer({ minimum: 0 }),
  expected: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  coveragePct: NullableNumber,
  medianIntervalMs: NullableNumber,
  gapThresholdMs: Type.Number(),
  minC: NullableNumber,
  avgC: NullableNumber,
  maxC: NullableNumber,
  inBandPct: NullableNumber,
  missingMs: Type.Integer({ minimum: 0 }),
  missingPct: Type.Number(),
  excursions: Type.Array(ReportExcursion),
  gaps: Type.Array(ReportGap),
})
export type FridgeReport = Type.Static<typeof FridgeReport>

export const ColdChainReport = Type.Object({
  siteId: Type.String(),
  siteName: Type.String(),
  date: Type.String(),
  timezone: Type.String(),
  /** The local day, epoch ms: from inclusive, to exclusive. */
  from: EpochMs,
  to: EpochMs,
  /** True while the day lasts: figures cover from..generatedAt only. */
  partial: Type.Boolean(),
  generatedAt: EpochMs,
  /** Share of the window without readings above which a day is 'incomplete', %. */
  incompleteAbovePct: Type.Number(),
  fridges: Type.Array(FridgeReport),
})
export type ColdChainReport = Type.Static<typeof ColdChainReport>

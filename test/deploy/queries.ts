/**
 * Just enough of the Prometheus text format, PromQL and InfluxQL to say which metric,
 * measurement, field and tag names a dashboard's queries use, and which a real scrape has.
 */

export interface MetricFamily {
  type: string
  /** Sample names as exposed: `x`, or `x_bucket`, `x_sum`, `x_count` for a histogram. */
  samples: Set<string>
}

/** Metric families of a Prometheus text exposition, by name, with their TYPE and the sample names seen. */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>()
  let current: MetricFamily | undefined
  for (const line of text.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line)
    if (type) {
      current = { type: type[2]!, samples: new Set() }
      families.set(type[1]!, current)
      continue
    }
    if (line === '' || line.startsWith('#')) continue
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)/.exec(line)
    if (!sample || !current) throw new Error(`not a Prometheus sample line: ${line}`)
    current.samples.add(sample[1]!)
  }
  return families
}

/** Sample value of `name{labels}` (all given labels must match); undefined when absent. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3])
  }
  return undefined
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN'])

/**
 * The metric names a PromQL expression selects. Strings, label matchers, range selectors,
 * grouping clauses and Grafana variables go first; what is left is functions (followed
 * by a parenthesis), keywords, numbers and metric names.
 */
export function promqlMetricNames(expr: string): string[] {
  let e = expr
  e = e.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
  e = e.replace(/\{[^}]*\}/g, ' ')
  e = e.replace(/\[[^\]]*\]/g, ' ')
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  e = e.replace(/\$\{[^}]*\}|\$\w+/g, ' ')
  const names: string[] = []
  for (const m of e.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = e[m.index - 1]
    // `1e3`, `0.5`: the tail of a number, not a name.
    if (before !== undefined && /[0-9.]/.test(before)) continue
    if (PROMQL_KEYWORDS.has(m[0])) continue
    if (e.slice(m.index + m[0].length).trimStart().startsWith('(')) continue
    names.push(m[0])
  }
  return names
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const

/**
 * Why `name` is not in the scrape, or undefined when it is: a family with samples, or a
 * `_bucket`/`_sum`/`_count` series of a histogram (or summary) family that has them.
 */
export function missingMetric(families: Map<string, MetricFamily>, name: string): string | undefined {
  const family = families.get(name)
  if (family) return family.samples.has(name) ? undefined : `${name} is declared but has no samples`
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!name.endsWith(suffix)) continue
    const base = families.get(name.slice(0, -suffix.length))
    if (base && (base.type === 'histogram' || base.type === 'summary')) return base.samples.has(name) ? undefined : `${name} has no samples`
  }
  return `${name} is not in the scrape`
}

export interface InfluxqlNames {
  measurements: string[]
  fields: string[]
  tags: string[]
}

/**
 * Names an InfluxQL query of the history dashboard uses. The generator writes one form:
 * `SELECT <fields or fn("field")> FROM "m" WHERE <"tag" comparisons> AND $timeFilter
 * GROUP BY time(...), "tag" ...`, or `SHOW TAG VALUES FROM "m" WITH KEY = "tag"`.
 * In SELECT a quoted name may be a field or a tag (InfluxQL allows both): `selected`.
 */
export function influxqlNames(query: string): InfluxqlNames & { selected: string[] } {
  const quoted = (s: string) => [...s.matchAll(/"([^"]+)"/g)].map((m) => m[1]!)
  const show = /^SHOW TAG VALUES FROM "([^"]+)" WITH KEY = "([^"]+)"$/.exec(query)
  if (show) return { measurements: [show[1]!], fields: [], tags: [show[2]!], selected: [] }
  const m = /^SELECT (.+?) FROM "([^"]+)"(?: WHERE (.+?))?(?: GROUP BY (.+?))?(?: fill\(\w+\))?(?: ORDER BY time DESC)?(?: LIMIT \d+)?$/.exec(query)
  if (!m) throw new Error(`InfluxQL query not in the generator's form: ${query}`)
  const [, select, measurement, where = '', groupBy = ''] = m
  // Fields inside functions are fields; bare quoted names may be tags too.
  const inFunctions = [...select!.matchAll(/\w+\("([^"]+)"\)/g)].map((f) => f[1]!)
  const bare = quoted(select!.replace(/\w+\("[^"]+"\)/g, ''))
  return { measurements: [measurement!], fields: inFunctions, tags: [...quoted(where), ...quoted(groupBy)], selected: bare }
}

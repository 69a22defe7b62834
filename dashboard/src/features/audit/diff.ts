// Before/after of an audit entry as a list of changed fields, the way a person reads a
// change: "role: viewer → operator", rather than two JSON blobs side by side.

export type DiffKind = 'added' | 'removed' | 'changed' | 'same'

export interface DiffLine {
  /** Dotted path of the field: `role`, `config.devices.0.name`. Empty: the whole value. */
  path: string
  kind: DiffKind
  before?: unknown
  after?: unknown
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Leaves of a value by path; empty objects and arrays are leaves of their own. */
function flatten(value: unknown, prefix: string, into: Map<string, unknown>): void {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, into)
  } else if (Array.isArray(value) && value.length > 0) {
    value.forEach((child, i) => flatten(child, prefix ? `${prefix}.${i}` : String(i), into))
  } else {
    into.set(prefix, value)
  }
}

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b)

/**
 * Field-by-field difference of `before` and `after` (null/undefined: the entity did not
 * exist, or does no more). Paths in the order they appear, `after`'s new ones last.
 */
export function auditDiff(before: unknown, after: unknown): DiffLine[] {
  const absent = (v: unknown) => v === null || v === undefined
  const b = new Map<string, unknown>()
  const a = new Map<string, unknown>()
  if (!absent(before)) flatten(before, '', b)
  if (!absent(after)) flatten(after, '', a)
  const lines: DiffLine[] = []
  for (const [path, value] of b) {
    if (!a.has(path)) lines.push({ path, kind: 'removed', before: value })
    else if (same(value, a.get(path))) lines.push({ path, kind: 'same', before: value, after: a.get(path) })
    else lines.push({ path, kind: 'changed', before: value, after: a.get(path) })
  }
  for (const [path, value] of a) if (!b.has(path)) lines.push({ path, kind: 'added', after: value })
  return lines
}

/** What changed only (what the viewer shows first). */
export const changedLines = (lines: readonly DiffLine[]): DiffLine[] => lines.filter((l) => l.kind !== 'same')

/** A leaf value as text: strings bare, the rest as JSON; nothing as an empty string. */
export function showValue(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return value
  return JSON.stringify(value)
}

/** A day picked in a date field (YYYY-MM-DD) as epoch ms at the start of that day in the browser's zone. */
export function dayStart(day: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y!, m! - 1, d!).getTime()
}

/** The end of a picked day (exclusive): the next day's start. */
export function dayEnd(day: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y!, m! - 1, d! + 1).getTime()
}

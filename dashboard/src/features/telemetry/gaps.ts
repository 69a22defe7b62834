// Gaps in a device's history (sync contract 6) turned into shaded bands on a chart.
// The cloud sends one gap per shrink of the gateway's log; several can overlap or touch,
// so bands are clipped to the chart window and merged per reason.
import type { DataGap, GapReason } from '../../api/types.js'

export interface GapBand {
  reason: GapReason
  from: number
  to: number
}

/** The gateway lists at most this many devices per gap; a full list may be truncated. */
export const GAP_DEVICES_LISTED_MAX = 1000
/** Gaps the site store keeps; older ones fall out of any chart window anyway. */
export const MAX_GAPS = 500

/** Gaps from the same log shrink arrive from both the fetch and the push: one key for both. */
export const gapKey = (gap: DataGap) =>
  gap.seq !== undefined
    ? `${gap.gatewayId}#${gap.seq}`
    : gap.fromSeq !== undefined && gap.toSeq !== undefined
      ? `${gap.gatewayId}:${gap.fromSeq}-${gap.toSeq}:${gap.reason}`
      : `${gap.gatewayId}:${gap.reason}:${gap.fromTime}-${gap.toTime}`

/** Adds or replaces one gap; the result stays newest first (by `toTime`) and capped. */
export function upsertGap(current: readonly DataGap[], gap: DataGap, cap = MAX_GAPS): DataGap[] {
  const key = gapKey(gap)
  const next = current.filter((g) => gapKey(g) !== key)
  next.push(gap)
  next.sort((a, b) => b.toTime - a.toTime || b.fromTime - a.fromTime)
  return next.length > cap ? next.slice(0, cap) : next
}

export function touchesDevice(gap: DataGap, deviceId: string): boolean {
  // An empty or full list cannot rule a device out.
  return gap.devices.length === 0 || gap.devices.length >= GAP_DEVICES_LISTED_MAX || gap.devices.includes(deviceId)
}

export interface BandWindow {
  from: number
  to: number
  /** Only gaps that touched this device; all gaps when omitted. */
  deviceId?: string
}

/**
 * Bands inside `[window.from, window.to]`, ascending by start. Overlapping or touching
 * gaps of one reason become one band. Where a dropped range overlaps a downsampled one,
 * both stay: the chart paints dropped over downsampled, and dropped is what matters.
 */
export function gapBands(gaps: readonly DataGap[], window: BandWindow): GapBand[] {
  const clipped: GapBand[] = []
  for (const gap of gaps) {
    if (window.deviceId !== undefined && !touchesDevice(gap, window.deviceId)) continue
    const from = Math.max(gap.fromTime, window.from)
    const to = Math.min(gap.toTime, window.to)
    // A gap of one instant (a single reading removed) still deserves a mark.
    if (from > to) continue
    clipped.push({ reason: gap.reason, from, to })
  }
  clipped.sort((a, b) => a.from - b.from || a.to - b.to)

  const merged: GapBand[] = []
  const open = new Map<GapReason, GapBand>()
  for (const band of clipped) {
    const last = open.get(band.reason)
    if (last && band.from <= last.to) {
      last.to = Math.max(last.to, band.to)
      continue
    }
    const copy = { ...band }
    merged.push(copy)
    open.set(band.reason, copy)
  }
  return merged.sort((a, b) => a.from - b.from || a.to - b.to)
}

export const sameBands = (a: readonly GapBand[], b: readonly GapBand[]) =>
  a.length === b.length && a.every((band, i) => band.reason === b[i]!.reason && band.from === b[i]!.from && band.to === b[i]!.to)

/** The band under a moment, dropped first; for the chart's tooltip. */
export function bandAt(bands: readonly GapBand[], time: number): GapBand | undefined {
  const hits = bands.filter((b) => b.from <= time && time <= b.to)
  return hits.find((b) => b.reason === 'dropped') ?? hits[0]
}

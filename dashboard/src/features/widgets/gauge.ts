// Geometry of the temperature gauge: a half circle from `min` (left) to `max` (right).
import type { ColdBand } from '../../api/sites.js'

export interface GaugeScale {
  min: number
  max: number
}

/** The band with a margin around it, widened to take in the value; 0..10 °C without a band. */
export function gaugeScale(band: ColdBand | null, value: number | undefined, margin = 5): GaugeScale {
  let low = band?.minC ?? (band?.maxC !== null && band?.maxC !== undefined ? band.maxC - 10 : 0)
  let high = band?.maxC ?? low + 10
  low -= margin
  high += margin
  if (value !== undefined && Number.isFinite(value)) {
    low = Math.min(low, Math.floor(value - 1))
    high = Math.max(high, Math.ceil(value + 1))
  }
  return { min: low, max: high }
}

/** 0 at the left end, 1 at the right end, clamped. */
export function gaugeFraction(scale: GaugeScale, value: number): number {
  if (scale.max === scale.min) return 0.5
  return Math.min(1, Math.max(0, (value - scale.min) / (scale.max - scale.min)))
}

/** A point on the half circle of radius r centred at (cx, cy) at `fraction` of the way round. */
export function arcPoint(fraction: number, r: number, cx: number, cy: number): { x: number; y: number } {
  const angle = Math.PI * (1 - fraction)
  return { x: cx + r * Math.cos(angle), y: cy - r * Math.sin(angle) }
}

/** SVG path of the arc between two fractions. */
export function arcPath(from: number, to: number, r: number, cx: number, cy: number): string {
  const a = arcPoint(from, r, cx, cy)
  const b = arcPoint(to, r, cx, cy)
  const f = (n: number) => n.toFixed(2)
  return `M ${f(a.x)} ${f(a.y)} A ${r} ${r} 0 0 1 ${f(b.x)} ${f(b.y)}`
}

import type { ColdBand, FleetDevice } from '../../api/fleet.js'

/** The form's fields as typed (strings), so a half-typed number is not lost. */
export interface DeviceDraft {
  id: string
  name: string
  kind: string
  minC: string
  maxC: string
}

export type DeviceField = keyof DeviceDraft | 'band'
export type DeviceProblem = 'id' | 'name' | 'kind' | 'number' | 'band'

const DEVICE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/
const DEVICE_KIND = /^[a-z][a-z0-9_]{0,47}$/

/** Kinds offered in the list (free text is accepted: the gateway's config decides). */
export const KNOWN_KINDS = ['cold_room', 'display_fridge', 'freezer', 'oven', 'energy_meter', 'door_contact', 'irrigation', 'air_quality', 'rfid_reader', 'pos_terminal'] as const

export function draftOf(device: FleetDevice | null): DeviceDraft {
  if (!device) return { id: '', name: '', kind: 'cold_room', minC: '', maxC: '' }
  return {
    id: device.id,
    name: device.name,
    kind: device.kind,
    minC: device.coldBand?.minC?.toString() ?? '',
    maxC: device.coldBand?.maxC?.toString() ?? '',
  }
}

function celsius(text: string): number | null | 'invalid' {
  const trimmed = text.trim().replace(',', '.')
  if (trimmed === '') return null
  const value = Number(trimmed)
  return Number.isFinite(value) && value >= -100 && value <= 200 ? value : 'invalid'
}

/**
 * The field problems of a draft (the same checks as the cloud's schema, so the message is on
 * the field before a round trip), or the body to send. Both bounds empty = the kind's default band.
 */
export function checkDraft(draft: DeviceDraft, creating: boolean):
  | { ok: true; body: { id: string; name: string; kind: string; coldBand: ColdBand | null } }
  | { ok: false; problems: Partial<Record<DeviceField, DeviceProblem>> } {
  const problems: Partial<Record<DeviceField, DeviceProblem>> = {}
  if (creating && !DEVICE_ID.test(draft.id)) problems.id = 'id'
  const name = draft.name.trim()
  if (name.length === 0 || name.length > 120) problems.name = 'name'
  if (!DEVICE_KIND.test(draft.kind.trim())) problems.kind = 'kind'
  const minC = celsius(draft.minC)
  const maxC = celsius(draft.maxC)
  if (minC === 'invalid') problems.minC = 'number'
  if (maxC === 'invalid') problems.maxC = 'number'
  if (typeof minC === 'number' && typeof maxC === 'number' && minC >= maxC) problems.band = 'band'
  if (Object.keys(problems).length > 0) return { ok: false, problems }
  const band = minC === null && maxC === null ? null : { minC: minC as number | null, maxC: maxC as number | null }
  return { ok: true, body: { id: draft.id, name, kind: draft.kind.trim(), coldBand: band } }
}

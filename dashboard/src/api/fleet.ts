// The fleet API (cloud/src/modules/fleet): gateways and their status, claim codes, the
// device registry, what a device can be told to do, and commands with their outcome.
import { apiRequest, ApiError, CLIENT_ERROR_CODES } from './client.js'
import { fetchPages, PAGE_LIMIT_MAX } from './sites.js'
import type { GatewaySync } from './types.js'

export interface ConfigError {
  version: number
  reason: string
}

/** One gateway as GET /api/gateways lists it (fleet/schema.ts GatewaySummary). */
export interface FleetGateway {
  id: string
  siteId: string
  name: string
  online: boolean
  lastSeenAt: number | null
  lastContactAt: number | null
  ackSeq: number
  quarantinedTotal: number
  sync: GatewaySync | null
  lagEvents: number | null
  lagSeconds: number | null
  config: {
    desiredVersion: number | null
    reportedVersion: number
    reportedAt: number | null
    upToDate: boolean
    error: ConfigError | null
  }
  hardwareId: string | null
  claimedAt: number | null
  createdAt: number
}

/** A new claim code: `code` is shown only in the reply that created it. */
export interface CreatedClaimCode {
  id: string
  code: string
  siteId: string
  name: string | null
  expiresAt: number
  createdAt: number
}

export type ClaimCodeStatus = 'open' | 'used' | 'expired'

export interface ClaimCodeItem {
  id: string
  siteId: string
  name: string | null
  status: ClaimCodeStatus
  gatewayId: string | null
  createdBy: string | null
  createdAt: number
  expiresAt: number
  usedAt: number | null
}

export interface ColdBand {
  minC: number | null
  maxC: number | null
}

export interface FleetDevice {
  id: string
  gatewayId: string
  siteId: string
  name: string
  kind: string
  coldBand: ColdBand | null
}

export interface CommandTarget {
  id: string
  name: string | null
  kind: string
  relays: string[]
  doors: string[]
}

export interface CommandTargets {
  gatewayId: string
  source: 'desired' | 'reported' | 'none'
  version: number | null
  devices: CommandTarget[]
}

/** What a cloud user may ask a device to do (protocol/src/downlink.ts CloudCommandIntent). */
export type CommandIntent =
  | { kind: 'relay.set'; relay: string; on: boolean }
  | { kind: 'setpoint.set'; name: string; value: number }
  | { kind: 'door.open'; doorId?: string; seconds?: number }

export type CommandStatus = 'pending' | 'sent' | 'acked' | 'failed' | 'expired'

export interface CommandView {
  id: string
  gatewayId: string
  deviceId: string
  command: CommandIntent
  status: CommandStatus
  /** The gateway's reason for `failed`/`expired`. */
  result: string | null
  createdAt: number
  expiresAt: number
  sentAt: number | null
  doneAt: number | null
}

const gatewayPath = (gatewayId: string) => `/api/gateways/${encodeURIComponent(gatewayId)}`
const claimCodesPath = (siteId: string) => `/api/sites/${encodeURIComponent(siteId)}/claim-codes`

export function fetchGateways(siteId?: string): Promise<FleetGateway[]> {
  return fetchPages<FleetGateway>('/api/gateways', { limit: PAGE_LIMIT_MAX, siteId })
}

export function fetchGateway(gatewayId: string): Promise<FleetGateway> {
  return apiRequest<FleetGateway>(gatewayPath(gatewayId))
}

export function createClaimCode(siteId: string, body: { name?: string; expiresInHours?: number }): Promise<CreatedClaimCode> {
  return apiRequest<CreatedClaimCode>(claimCodesPath(siteId), { method: 'POST', body })
}

/** The site's newest codes (a page is plenty for a dialog). */
export async function fetchClaimCodes(siteId: string, limit = 20): Promise<ClaimCodeItem[]> {
  return (await apiRequest<{ items: ClaimCodeItem[] }>(claimCodesPath(siteId), { query: { limit } })).items
}

export function revokeClaimCode(siteId: string, codeId: string): Promise<ClaimCodeItem> {
  return apiRequest<ClaimCodeItem>(`${claimCodesPath(siteId)}/${encodeURIComponent(codeId)}`, { method: 'DELETE' })
}

export function fetchDevices(gatewayId: string): Promise<FleetDevice[]> {
  return fetchPages<FleetDevice>(`${gatewayPath(gatewayId)}/devices`, { limit: PAGE_LIMIT_MAX })
}

export function createDevice(gatewayId: string, body: { id: string; name: string; kind: string; coldBand?: ColdBand | null }): Promise<FleetDevice> {
  return apiRequest<FleetDevice>(`${gatewayPath(gatewayId)}/devices`, { method: 'POST', body })
}

export function updateDevice(gatewayId: string, deviceId: string, body: { name?: string; kind?: string; coldBand?: ColdBand | null }): Promise<FleetDevice> {
  return apiRequest<FleetDevice>(`${gatewayPath(gatewayId)}/devices/${encodeURIComponent(deviceId)}`, { method: 'PATCH', body })
}

export async function deleteDevice(gatewayId: string, deviceId: string): Promise<void> {
  await apiRequest<void>(`${gatewayPath(gatewayId)}/devices/${encodeURIComponent(deviceId)}`, { method: 'DELETE' })
}

export function fetchCommandTargets(gatewayId: string): Promise<CommandTargets> {
  return apiRequest<CommandTargets>(`${gatewayPath(gatewayId)}/command-targets`)
}

export function fetchCommand(gatewayId: string, commandId: string): Promise<CommandView> {
  return apiRequest<CommandView>(`${gatewayPath(gatewayId)}/commands/${encodeURIComponent(commandId)}`)
}

export interface SendCommandOptions {
  /** One per attempt of the user: a retry of the same attempt reuses it and gets the first answer. */
  idempotencyKey: string
  expiresInSeconds?: number
}

/**
 * POST /api/gateways/:id/commands with an Idempotency-Key. A network failure is retried
 * once with the same key, so a lost answer never sends a second command; a 401 lets the
 * client renew the session (a cheap read through apiRequest) and then tries again.
 */
export async function sendCommand(gatewayId: string, deviceId: string, command: CommandIntent, options: SendCommandOptions): Promise<CommandView> {
  const request = () =>
    apiRequest<CommandView>(`${gatewayPath(gatewayId)}/commands`, {
      method: 'POST',
      body: { deviceId, command, expiresInSeconds: options.expiresInSeconds ?? 60 },
      headers: { 'idempotency-key': options.idempotencyKey },
    })
  try {
    return await request()
  } catch (err) {
    // The answer was lost, not the command: the same key gets the first answer, never a second command.
    if (err instanceof ApiError && err.code === CLIENT_ERROR_CODES.network) return request()
    throw err
  }
}

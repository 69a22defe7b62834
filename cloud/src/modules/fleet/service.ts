import { randomUUID } from 'node:crypto'
import type { CommandMessage, ConfigMessage, UplinkChannelMessage } from '@tendero/protocol'
import { AppError, gatewayNotFound } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'
import type { FastifyRequest } from 'fastify'
import { auditContext, recordAudit } from '../identity/audit.js'
import { toEpochMs } from '../../plugins/db/timestamps.js'
import { recordContact, recordSyncStatus } from '../sync/service.js'
import * as repo from './repository.js'
import type { CommandRow } from './repository.js'
import { runningConfig } from '../rules/repository.js'
import type { CommandStatus, CommandTarget, CommandTargets, CommandView, ConfigView, CreateCommandBody } from './schema.js'

export { gatewayNotFound }
export const commandNotFound = (): AppError => new AppError('COMMAND_NOT_FOUND', 404, 'Command not found')
export const configGatewayMismatch = (): AppError =>
  new AppError('CONFIG_GATEWAY_MISMATCH', 400, 'config.gatewayId must be the gateway in the URL')

/** Where pushes go: the open channel of a gateway, if it has one (channel.ts). */
export interface Downlink {
  send(gatewayId: string, message: ConfigMessage | CommandMessage): boolean
}

/** The tenancy check for a gateway: another org's gateway and an unknown id look the same. */
export async function gatewayForOrg(db: Db, orgId: string, gatewayId: string) {
  const gateway = await repo.findGateway(db, orgId, gatewayId)
  if (!gateway) throw gatewayNotFound()
  return gateway
}

export async function getConfig(db: Db, orgId: string, gatewayId: string): Promise<ConfigView> {
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  return configView(gateway, await repo.latestConfig(db, gateway.id))
}

function configView(
  gateway: Awaited<ReturnType<typeof gatewayForOrg>>,
  desired: { version: number; config: unknown; created_at: Date; created_by: string | null } | undefined,
): ConfigView {
  return {
    gatewayId: gateway.id,
    desired: desired
      ? { version: desired.version, config: desired.config, createdAt: desired.created_at.getTime(), createdBy: desired.created_by }
      : null,
    reported: {
      version: gateway.reported_config_version,
      at: toEpochMs(gateway.config_reported_at),
      error: gateway.config_error,
    },
  }
}

const configMessage = (row: { version: number; config: unknown }): ConfigMessage =>
  ({ type: 'config', version: row.version, config: row.config as ConfigMessage['config'] })

/** A new desired version; pushed at once if the gateway is connected, otherwise on its next connect. */
export async function putConfig(db: Db, downlink: Downlink, request: FastifyRequest, gatewayId: string, config: ConfigMessage['config']) {
  const user = request.user
  const gateway = await gatewayForOrg(db, user.orgId, gatewayId)
  if (config.gatewayId !== gateway.id) throw configGatewayMismatch()
  const row = await repo.insertConfig(db, gateway.id, config, user.kind === 'api_key' ? null : user.id, (trx, created) =>
    recordAudit(trx, {
      ...auditContext(request),
      action: 'gateway.config.put',
      target: { type: 'gateway', id: gateway.id },
      // The config itself is in gateway_configs under this version; the trail says who made it.
      after: { version: created.version },
    }),
  )
  downlink.send(gateway.id, configMessage(row))
  // The version this request created, not whatever is latest by the time we read it back.
  return configView(gateway, row)
}

function commandView(row: CommandRow): CommandView {
  return {
    id: row.id,
    gatewayId: row.gateway_id,
    deviceId: row.device_id,
    command: row.command,
    status: row.status,
    result: row.result,
    createdAt: row.created_at.getTime(),
    expiresAt: row.expires_at.getTime(),
    sentAt: toEpochMs(row.sent_at),
    doneAt: toEpochMs(row.done_at),
  }
}

const commandMessage = (row: CommandRow): CommandMessage => ({
  type: 'command',
  id: row.id,
  deviceId: row.device_id,
  issuedAt: row.created_at.getTime(),
  expiresAt: row.expires_at.getTime(),
  command: row.command as CommandMessage['command'],
})

/**
 * Stored and audited in one transaction, then sent after the commit: the gateway never
 * acts on a command the cloud has no record of.
 */
export async function createCommand(db: Db, downlink: Downlink, request: FastifyRequest, gatewayId: string, body: CreateCommandBody, now = Date.now()) {
  const user = request.user
  const gateway = await gatewayForOrg(db, user.orgId, gatewayId)
  const row = await db.transaction().execute(async (trx) => {
    const created = await repo.insertCommand(trx, {
      id: randomUUID(),
      gatewayId: gateway.id,
      deviceId: body.deviceId,
      command: body.command,
      expiresAt: new Date(now + body.expiresInSeconds * 1000),
      createdBy: user.kind === 'api_key' ? null : user.id,
    })
    await recordAudit(trx, {
      ...auditContext(request),
      action: 'gateway.command.create',
      target: { type: 'command', id: created.id },
      after: { gatewayId: gateway.id, deviceId: created.device_id, command: created.command, expiresAt: created.expires_at },
    })
    return created
  })
  if (downlink.send(gateway.id, commandMessage(row))) await repo.markSent(db, [row.id])
  return getCommand(db, user.orgId, gateway.id, row.id)
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function getCommand(db: Db, orgId: string, gatewayId: string, commandId: string, now = Date.now()): Promise<CommandView> {
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  if (!UUID_RE.test(commandId)) throw commandNotFound()
  await repo.expireCommands(db, gateway.id, new Date(now))
  const row = await repo.findCommand(db, gateway.id, commandId)
  if (!row) throw commandNotFound()
  return commandView(row)
}

/** What a gateway gets when its channel opens: the latest desired config, then its open commands. */
export async function onConnect(db: Db, gatewayId: string, now = Date.now()): Promise<(ConfigMessage | CommandMessage)[]> {
  await recordContact(db, gatewayId)
  await repo.expireCommands(db, gatewayId, new Date(now))
  const [latest, commands] = await Promise.all([repo.latestConfig(db, gatewayId), repo.openCommands(db, gatewayId, new Date(now))])
  await repo.markSent(db, commands.map((c) => c.id))
  return [...(latest ? [configMessage(latest)] : []), ...commands.map(commandMessage)]
}

/** A gateway's answer on the channel (already validated against the protocol). */
export async function onGatewayMessage(db: Db, gatewayId: string, message: UplinkChannelMessage): Promise<void> {
  // A sync status records last contact in the same write; other messages record it first.
  if (message.type === 'sync.status') {
    await recordSyncStatus(db, gatewayId, message.status)
    return
  }
  await recordContact(db, gatewayId)
  if (message.type === 'config.status') {
    const error = message.ok ? null : { version: message.version, reason: message.reason ?? 'refused' }
    await repo.recordConfigStatus(db, gatewayId, message.running, error)
    return
  }
  if (!UUID_RE.test(message.id)) return
  const status: CommandStatus = message.ok ? 'acked' : message.error === 'expired' ? 'expired' : 'failed'
  await repo.recordAck(db, gatewayId, message.id, status, message.ok ? null : (message.error ?? 'failed'))
}

/**
 * The devices of the gateway's config with the relays and doors a command may name, so a
 * form offers only what the gateway would accept: the latest desired config, else the
 * config the gateway reported it runs (rules/repository.ts), else nothing.
 */
export async function commandTargets(db: Db, orgId: string, gatewayId: string): Promise<CommandTargets> {
  const gateway = await gatewayForOrg(db, orgId, gatewayId)
  const desired = await repo.latestConfig(db, gateway.id)
  if (desired) return { gatewayId: gateway.id, source: 'desired', version: desired.version, devices: targetsOf(desired.config) }
  const running = await runningConfig(db, gateway.id)
  if (running) return { gatewayId: gateway.id, source: 'reported', version: running.version, devices: targetsOf(running.config) }
  return { gatewayId: gateway.id, source: 'none', version: null, devices: [] }
}

type LooseSiteConfig = {
  devices?: { id?: unknown; name?: unknown; kind?: unknown; relays?: unknown }[]
  access?: { doors?: { id?: unknown; deviceId?: unknown }[] }
}

// The stored configs passed the gateway's parser (or came from it), but are read loosely:
// a field of an unexpected shape is left out rather than failing the whole list.
function targetsOf(config: unknown): CommandTarget[] {
  const site = (typeof config === 'object' && config !== null ? config : {}) as LooseSiteConfig
  const doors = Array.isArray(site.access?.doors) ? site.access.doors : []
  const devices = Array.isArray(site.devices) ? site.devices : []
  return devices
    .filter((d) => typeof d?.id === 'string')
    .map((d) => ({
      id: d.id as string,
      name: typeof d.name === 'string' ? d.name : null,
      kind: typeof d.kind === 'string' ? d.kind : 'unknown',
      relays: (Array.isArray(d.relays) ? d.relays : [])
        .map((r: unknown) => (typeof r === 'string' ? r : typeof r === 'object' && r !== null && typeof (r as { name?: unknown }).name === 'string' ? (r as { name: string }).name : null))
        .filter((r): r is string => r !== null),
      doors: doors.filter((door) => door?.deviceId === d.id && typeof door.id === 'string').map((door) => door.id as string),
    }))
}

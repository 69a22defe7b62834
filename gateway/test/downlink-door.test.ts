import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { validators, type LogEvent } from '@tendero/protocol'
import type { GatewayOptions } from '../src/gateway.js'
import { hashPassword } from '../src/broker/passwords.js'
import { BAR, READER, barSite } from './access-harness.js'
import { eventually, startCloud, startCloudGateway, type CloudGateway, type TestCloud } from './downlink-harness.js'

/**
 * `door.open` from the real cloud: through the gateway's access controller, logged as an
 * `access` decision naming the cloud command before the reader (a real MQTT client on its
 * command topic) gets the same `access.result` a granted card gets.
 */
const STOREROOM_READER = { id: 'lector-deposito', password: 'lector-deposito-pw' }

describe('downlink: door.open cloud commands', () => {
  let cloud: TestCloud
  const running: CloudGateway[] = []
  const dirs: string[] = []

  beforeAll(async () => {
    cloud = await startCloud()
  }, 60_000)
  afterEach(async () => {
    for (const g of running.splice(0)) await g.stop()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  afterAll(async () => {
    await cloud?.close()
  })

  /** The bar site (VIP reader with two doors, bar terminal) plus a storeroom reader with one door. */
  async function startBar(gateway: GatewayOptions = {}) {
    const { gatewayId, gatewayKey } = await cloud.registerGateway()
    const storeroomHash = await hashPassword(STOREROOM_READER.password)
    const site = await barSite((s) => {
      s.gatewayId = gatewayId
      s.devices.push({ id: STOREROOM_READER.id, kind: 'rfid_reader', passwordHash: storeroomHash })
      s.access!.doors.push({ id: 'deposito', deviceId: STOREROOM_READER.id })
    })
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-downlink-door-'))
    dirs.push(dataDir)
    const g = await startCloudGateway(site, { dataDir, cloudUrl: cloud.url, gatewayKey, gateway })
    running.push(g)
    await eventually(() => g.gw.downlink.status().connected, 'channel open')
    const command = async (deviceId: string, command: Record<string, unknown>, expiresInSeconds = 60) => {
      const res = await cloud.api('POST', `/api/gateways/${gatewayId}/commands`, { deviceId, command, expiresInSeconds })
      expect(res.statusCode).toBe(201)
      return res.json() as { id: string }
    }
    const answered = (id: string) =>
      eventually(async () => {
        const body = (await cloud.api('GET', `/api/gateways/${gatewayId}/commands/${id}`)).json()
        return ['acked', 'failed', 'expired'].includes(body.status) ? body : undefined
      }, `the answer to ${id}`)
    return { g, gatewayId, command, answered }
  }

  const accessEvents = (g: CloudGateway) =>
    g.gw.log.read(0, 100_000).filter((e): e is Extract<LogEvent, { kind: 'access' }> => e.kind === 'access')

  it('opens the door named, audited as a remote opening, and the reader gets an access.result', async () => {
    const { g, gatewayId, command, answered } = await startBar()
    const reader = await g.device(READER)
    const storeroom = await g.device(STOREROOM_READER)

    const open = await command(READER.id, { kind: 'door.open', doorId: 'staff', seconds: 5 })
    expect(await answered(open.id)).toMatchObject({ status: 'acked', result: null })
    const result = await eventually(() => reader.commands.find((c) => c.kind === 'access.result'), 'the access.result at the reader')
    expect(result).toMatchObject({ kind: 'access.result', doorId: 'staff', allow: true, reason: 'remote_open', seconds: 5 })
    expect(result).not.toHaveProperty('cardId')
    expect(validators.command.explain(result)).toEqual([])

    // A reader with one door needs no doorId.
    const storeroomOpen = await command(STOREROOM_READER.id, { kind: 'door.open' })
    expect(await answered(storeroomOpen.id)).toMatchObject({ status: 'acked' })
    const storeroomResult = await eventually(() => storeroom.commands.find((c) => c.kind === 'access.result'), 'the storeroom access.result')
    expect(storeroomResult).toMatchObject({ doorId: 'deposito', allow: true, reason: 'remote_open' })
    expect(storeroomResult).not.toHaveProperty('seconds')

    const [staff, deposito] = accessEvents(g)
    expect(staff).toMatchObject({
      deviceId: READER.id,
      body: { doorId: 'staff', allow: true, reason: 'remote_open', source: 'cloud', commandId: open.id },
    })
    expect(deposito).toMatchObject({ deviceId: STOREROOM_READER.id, body: { doorId: 'deposito', source: 'cloud', commandId: storeroomOpen.id } })
    expect(validators.logEvent.explain(staff)).toEqual([])
    // Decided before the reader heard it, like a card.
    const [sent] = g.gw.log.read(0, 100_000).filter((e) => e.kind === 'command' && e.body.id === result.id)
    expect(staff!.seq).toBeLessThan(sent!.seq)

    // The audit reaches the cloud like any access event, and is stored, not quarantined.
    const stored = await eventually(
      () => cloud.app.db.selectFrom('events').select(['seq', 'body']).where('gateway_id', '=', gatewayId).where('kind', '=', 'access').orderBy('seq').execute()
        .then((rows) => (rows.length === 2 ? rows : undefined)),
      'the access events in the cloud',
    )
    expect(stored.map((r) => r.body)).toEqual([staff!.body, deposito!.body])
  })

  it('refuses a door.open it cannot place, with the reason, and opens nothing', async () => {
    const { g, command, answered } = await startBar()
    const reader = await g.device(READER)
    const bar = await g.device(BAR)

    const cases = [
      [READER.id, { kind: 'door.open' }, /^door_required: reader "lector-vip" serves doors vip, staff; say which in doorId$/],
      [READER.id, { kind: 'door.open', doorId: 'deposito' }, /^unknown_door: reader "lector-vip" has no door "deposito"/],
      [BAR.id, { kind: 'door.open' }, /^not_a_door: device "barra-1" is not the reader of any door$/],
      ['fantasma', { kind: 'door.open' }, /^unknown_device$/],
    ] as const
    for (const [deviceId, intent, error] of cases) {
      const created = await command(deviceId, intent)
      const done = await answered(created.id)
      expect(done.status).toBe('failed')
      expect(done.result).toMatch(error)
    }
    expect(accessEvents(g)).toEqual([])
    expect([...reader.commands, ...bar.commands].filter((c) => c.kind === 'access.result')).toEqual([])
  })

  it('acks a door.open expired by the gateway clock and never opens the door', async () => {
    // The gateway's clock is 2 minutes ahead of the cloud's: the 60 s order is stale on arrival.
    const { g, command, answered } = await startBar({ now: () => Date.now() + 120_000 })
    const reader = await g.device(READER)
    const created = await command(READER.id, { kind: 'door.open', doorId: 'staff' })
    expect(await answered(created.id)).toMatchObject({ status: 'expired', result: 'expired' })
    expect(accessEvents(g)).toEqual([])
    expect(reader.commands).toEqual([])
  })
})

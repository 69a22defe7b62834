import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LogEvent } from '@tendero/protocol'
import type { FleetTables } from '../../cloud/src/modules/fleet/repository.js'
import { CommandJournal, commandJournalPath } from '../src/downlink/command-journal.js'
import { INTERRUPTED } from '../src/downlink/downlink.js'
import type { Gateway } from '../src/gateway.js'
import { OTHER_DEVICE, testSite } from './harness.js'
import { eventually, startCloud, startCloudGateway, type CloudGateway, type TestCloud } from './downlink-harness.js'

/**
 * Cloud commands across gateway restarts, against the real cloud: a command the cloud
 * resends (its ack was lost, the gateway crashed) is answered again from the gateway's
 * journal and never reaches the device twice.
 */
describe('downlink: cloud commands are run at most once across restarts', () => {
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

  async function setup() {
    const { gatewayId, gatewayKey } = await cloud.registerGateway()
    const site = await testSite((s) => {
      s.gatewayId = gatewayId
    })
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-downlink-gw-'))
    dirs.push(dataDir)
    const start = async () => {
      const g = await startCloudGateway(site, { dataDir, cloudUrl: cloud.url, gatewayKey })
      running.push(g)
      return g
    }
    return { gatewayId, dataDir, start }
  }

  const commandOf = (gatewayId: string, id: string) => cloud.api('GET', `/api/gateways/${gatewayId}/commands/${id}`).then((r) => r.json())
  /** The relay commands the gateway logged for cloud orders (their device-level ids start with `cloud.`). */
  const cloudCommandsLogged = (gw: Gateway) =>
    gw.log.read(0, 100_000).filter((e): e is Extract<LogEvent, { kind: 'command' }> => e.kind === 'command' && e.body.id.startsWith('cloud.'))

  it('answers a command resent after a restart with its first answer, without running it again', async () => {
    const { gatewayId, start } = await setup()
    const first = await start()
    const node = await first.device(OTHER_DEVICE)
    await eventually(() => first.gw.downlink.status().connected, 'channel open')
    const created = (await cloud.api('POST', `/api/gateways/${gatewayId}/commands`, {
      deviceId: OTHER_DEVICE.id, command: { kind: 'relay.set', relay: 'compressor', on: true }, expiresInSeconds: 120,
    })).json()
    await eventually(() => node.commands.some((c) => c.kind === 'relay.set'), 'the relay command at the device')
    await eventually(async () => (await commandOf(gatewayId, created.id)).status === 'acked', 'the first ack')
    await first.stop()

    // The ack was lost on the way (the cloud never stored it), so the cloud still counts the
    // command as sent and resends it when the restarted gateway connects.
    await cloud.app.db.withTables<FleetTables>().updateTable('cloud_commands').set({ status: 'sent', result: null, done_at: null }).where('id', '=', created.id).execute()

    const second = await start()
    const node2 = await second.device(OTHER_DEVICE)
    const done = await eventually(async () => {
      const body = await commandOf(gatewayId, created.id)
      return body.status !== 'sent' ? body : undefined
    }, 'the answer to the resend')
    expect(done).toMatchObject({ status: 'acked', result: null })
    // One device-level command across both runs: the log survived the restart, and a second
    // run would have logged a second one.
    expect(cloudCommandsLogged(second.gw).map((e) => e.body)).toEqual([expect.objectContaining({ kind: 'relay.set', on: true })])
    expect(node2.commands.filter((c) => c.kind === 'relay.set')).toEqual([])
  })

  it('acks a command begun before a crash and never answered as interrupted, and does not run it', async () => {
    const { gatewayId, dataDir, start } = await setup()
    const created = (await cloud.api('POST', `/api/gateways/${gatewayId}/commands`, {
      deviceId: OTHER_DEVICE.id, command: { kind: 'relay.set', relay: 'compressor', on: true }, expiresInSeconds: 120,
    })).json()
    // What a gateway killed between recording the command and answering it leaves behind.
    const journal = new CommandJournal(commandJournalPath(dataDir))
    journal.begin(created.id, created.expiresAt, Date.now())
    journal.close()

    const g = await start()
    const done = await eventually(async () => {
      const body = await commandOf(gatewayId, created.id)
      return body.status !== 'pending' && body.status !== 'sent' ? body : undefined
    }, 'the answer')
    expect(done).toMatchObject({ status: 'failed', result: INTERRUPTED })
    expect(cloudCommandsLogged(g.gw)).toEqual([])
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, startCloud, startCloudGateway, type CloudGateway, type TestCloud } from '../../test/downlink-harness.js'
import { testSite } from '../../test/harness.js'
import { rulesFilePath, saveRuleSet } from '../api/rules-file.js'
import type { RuleSpec } from '../rules/registry.js'

/**
 * `config.request` / `config.report` against the real cloud: a gateway running its own
 * site file tells the cloud what it runs, so the cloud's rules editor can start from it,
 * and tells it again when that changes.
 */
describe('downlink: the running config reported to the cloud', () => {
  let cloud: TestCloud
  let dir: string
  const gateways: CloudGateway[] = []

  beforeAll(async () => {
    cloud = await startCloud()
    dir = mkdtempSync(join(tmpdir(), 'tendero-config-report-'))
  }, 60_000)
  afterAll(async () => {
    for (const g of gateways) await g.stop()
    await cloud?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const runningInCloud = async (gatewayId: string) =>
    (await cloud.app.db
      .withTables<{ gateways: { running_config: unknown; running_config_version: number | null } }>()
      .selectFrom('gateways')
      .select(['running_config', 'running_config_version'])
      .where('id', '=', gatewayId)
      .executeTakeFirstOrThrow()) as { running_config: { rules: RuleSpec[] } | null; running_config_version: number | null }

  it('reports its site file on connect, is edited from there, and reports each change', async () => {
    const { gatewayId, gatewayKey } = await cloud.registerGateway()
    const site = await testSite((s) => {
      s.gatewayId = gatewayId
    })
    expect((await cloud.api('GET', `/api/gateways/${gatewayId}/rules`)).json().error.code).toBe('RULES_NO_BASE_CONFIG')

    const dataDir = join(dir, gatewayId)
    gateways.push(await startCloudGateway(site, { dataDir, cloudUrl: cloud.url, gatewayKey, gateway: { downlink: { syncStatusEveryMs: 50 } } }))
    const reported = await eventually(async () => {
      const res = await cloud.api('GET', `/api/gateways/${gatewayId}/rules`)
      return res.statusCode === 200 && res.json()
    }, 'the reported rules')
    expect(reported).toMatchObject({ gatewayId, version: 0, source: 'reported' })
    expect(reported.rules).toEqual(JSON.parse(JSON.stringify(site.rules)))

    // The first save on the reported base makes desired version 1, which the gateway applies.
    const rule = {
      when: { kind: 'threshold', deviceId: 'camara-2', metric: 'temperature_c', above: 8, forSeconds: 60 },
      alarm: { severity: 'warning', message: 'Cámara 2 sobre 8 °C' },
      actions: [],
    }
    const put = await cloud.api('PUT', `/api/gateways/${gatewayId}/rules/camara-2-alta?ifVersion=0`, rule)
    expect(put.statusCode).toBe(201)
    expect(put.json().version).toBe(1)
    await eventually(async () => (await cloud.api('GET', `/api/gateways/${gatewayId}/config`)).json().reported.version === 1, 'version 1 applied')
    const rules = (await cloud.api('GET', `/api/gateways/${gatewayId}/rules`)).json()
    expect(rules).toMatchObject({ version: 1, source: 'desired' })
    expect(rules.rules.map((r: RuleSpec) => r.id)).toEqual([...site.rules.map((r) => r.id), 'camara-2-alta'])
    // ...and says so in a new report.
    await eventually(async () => (await runningInCloud(gatewayId)).running_config_version === 1, 'the report of version 1')

    // A technician's local edit (the local API writes the rules file) is reported on the next tick.
    saveRuleSet(rulesFilePath(dataDir), [], Date.now())
    await eventually(async () => (await runningInCloud(gatewayId)).running_config?.rules.length === 0, 'the report of the local edit')
  })
})

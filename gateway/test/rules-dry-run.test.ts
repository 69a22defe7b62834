import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { EventLog } from '../src/log/event-log.js'
import { dryRun } from '../src/rules/dry-run.js'
import type { RuleSpec } from '../src/rules/registry.js'
import { isGatewayError } from '../src/errors.js'

const T0 = 1_763_719_200_000
const rule: RuleSpec = {
  id: 'camara-alta',
  when: { kind: 'threshold', deviceId: 'camara-1', metric: 'temperature_c', above: 5, forSeconds: 120, hysteresis: 0.5 },
  alarm: { severity: 'critical', message: 'x' },
  actions: [{ kind: 'relay.set', deviceId: 'camara-1', relay: 'compressor', on: true }],
}

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('dry run over recorded history', () => {
  it('says when a rule would have fired and re-armed, from events read back from the log, without side effects', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tendero-dry-'))
    const log = new EventLog({ path: join(dir, 'log.db'), bootId: 'b', clockSynced: () => true, now: () => T0 })
    // A warm afternoon: 6 °C for 3 minutes (readings every 30 s, device clock), then back to 4 °C.
    const temps = [6, 6, 6, 6, 6, 6, 6, 4.8, 4.4, 4.4]
    await log.append(temps.map((v, i) => ({ kind: 'telemetry', deviceId: 'camara-1', time: T0 + i * 30_000, body: { readings: { temperature_c: v } } })))
    await log.append([{ kind: 'telemetry', deviceId: 'camara-2', time: T0, body: { readings: { temperature_c: 30 } } }])
    const history = log.read(0, 1000)
    const before = log.lastSeq()

    expect(dryRun(rule, history)).toEqual([
      { time: T0 + 120_000, transition: 'fire', deviceId: 'camara-1', value: 6 },
      { time: T0 + 240_000, transition: 'rearm', deviceId: 'camara-1', value: 4.4 },
    ])
    // A stricter rule would not have fired; a shorter history needs `until` to finish the hold.
    expect(dryRun({ ...rule, when: { ...rule.when, above: 6 } }, history)).toEqual([])
    expect(dryRun(rule, history.slice(0, 2))).toEqual([])
    expect(dryRun(rule, history.slice(0, 2), { until: T0 + 600_000 })).toEqual([
      { time: T0 + 120_000, transition: 'fire', deviceId: 'camara-1', value: 6 },
    ])
    expect(log.lastSeq()).toBe(before)
    log.close()
  })

  it('refuses an invalid rule with the path of the bad field', () => {
    const bad = { ...rule, when: { ...rule.when, forSeconds: -1 } }
    expect(() => dryRun(bad, [])).toThrow(expect.objectContaining({ code: 'RULES_ERR_INVALID' }))
    try {
      dryRun(bad, [])
    } catch (err) {
      expect(isGatewayError(err, 'RULES_ERR_INVALID') && err.details.reasons).toEqual([expect.stringMatching(/^\/when\/forSeconds/)])
    }
  })
})

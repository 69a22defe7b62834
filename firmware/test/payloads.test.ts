import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  parseDeviceTopic,
  parsePayload,
  upstreamValidators,
  validators,
  type Command,
  type UpstreamChannel,
} from '@tendero/protocol'
import { buildHost, run, type HostBuild } from './host-build.js'

/**
 * The wire contract, checked on the firmware's own C: tc_wire (firmware/test/tc_wire.c),
 * built from the same tendero_core sources as the node, prints what the node publishes
 * and decodes what the gateway sends. Both directions are judged by the TypeBox schemas
 * in protocol/, the ones the gateway runs on every message.
 */

interface Emitted {
  name: string
  topic: string
  text: string
  payload: Record<string, unknown>
}

let build: HostBuild
let emitted: Emitted[]

beforeAll(async () => {
  build = await buildHost(['tc_wire'])
  const result = await run(build.bin('tc_wire'), ['emit', 'camara-1'])
  if (result.code !== 0) throw new Error(`tc_wire emit failed (exit ${result.code}):\n${result.stderr}`)
  emitted = result.stdout
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [name, topic, text] = line.split('\t') as [string, string, string]
      return { name, topic, text, payload: JSON.parse(text) as Record<string, unknown> }
    })
}, 115_000)

afterAll(async () => {
  await build?.remove()
})

function channelOf(e: Emitted): UpstreamChannel {
  return e.name.split('.')[0] as UpstreamChannel
}

/** Every number anywhere in a parsed payload. */
function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value]
  if (value && typeof value === 'object') return Object.values(value).flatMap(numbersIn)
  return []
}

describe('payloads the firmware publishes', () => {
  it('emits every kind of payload', () => {
    const channels = new Set(emitted.map(channelOf))
    expect([...channels].sort()).toEqual(['ack', 'event', 'state', 'telemetry'])
    expect(emitted.length).toBeGreaterThan(30)
  })

  it('uses the protocol topic for its device and channel', () => {
    for (const e of emitted) expect(parseDeviceTopic(e.topic), e.name).toEqual({ deviceId: 'camara-1', channel: channelOf(e) })
  })

  it('validates every payload against the protocol schema of its channel', () => {
    for (const e of emitted) {
      const result = parsePayload(e.text, upstreamValidators[channelOf(e)])
      expect(result, `${e.name}: ${e.text}`).toEqual({ ok: true, value: e.payload })
    }
  })

  it('never sends NaN or Infinity, and numbers read back exactly', () => {
    for (const e of emitted) {
      expect(e.text, e.name).not.toMatch(/nan|inf/i)
      for (const n of numbersIn(e.payload)) expect(Number.isFinite(n), e.name).toBe(true)
    }
    // Same list as tc_wire.c's edges: what JavaScript makes of each is the value the C held.
    const edges = [0, -0, 5e-324, 1e-300, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, 1 / 3, -273.15, 1e21, 1e-7, 123456789.123456789, 9007199254740993]
    edges.forEach((want, i) => {
      const e = emitted.find((x) => x.name === `telemetry.edge.${i}`)
      const got = (e?.payload.readings as Record<string, number>).temperature_c
      expect(Object.is(got, want), `edge ${i}: ${e?.text}`).toBe(true)
    })
    expect(emitted.find((x) => x.name === 'telemetry.unsynced')?.text).toBe('{"seq":4711,"readings":{"temperature_c":4.6,"door_open":0}}')
  })

  it('escapes strings so they arrive as the node meant them', () => {
    const state = emitted.find((e) => e.name === 'state.full')?.payload.state as Record<string, unknown>
    // The one invalid byte (0xff) becomes U+FFFD rather than breaking the JSON.
    expect(state.note).toBe('a "quoted" \\ path\n\t\u0001 cámara 😀 \ufffd end')
    expect(state.long).toBe('v'.repeat(64))
    expect((emitted.find((e) => e.name === 'event.data')?.payload.data as Record<string, unknown>).door).toBe('cámara "1"')
  })

  it('drains its offline buffer oldest first, with seq gap-free across the wrap and the overflow reported', () => {
    const dropped = emitted.find((e) => e.name === 'event.buffer_dropped')?.payload
    expect(dropped).toMatchObject({ kind: 'buffer.dropped', data: { first_seq: 4294967291, last_seq: 6, count: 12 } })
    const drained = emitted.filter((e) => e.name === 'telemetry.drain').map((e) => e.payload as { ts: number; seq: number })
    expect(drained).toHaveLength(8)
    // The reported gap plus the drained readings account for every one of the 20 readings.
    const data = dropped?.data as { last_seq: number; count: number }
    expect(drained[0]?.seq).toBe((data.last_seq + 1) % 2 ** 32)
    expect(data.count + drained.length).toBe(20)
    drained.forEach((p, i) => {
      if (i === 0) return
      expect(p.seq).toBe(((drained[i - 1]?.seq ?? 0) + 1) % 2 ** 32)
      // Taken a second apart while the clock was unsynced, stamped once SNTP synced.
      expect(p.ts - (drained[i - 1]?.ts ?? 0)).toBe(1000)
    })
  })

  it('the schema check bites: a payload with a wrong field is rejected', () => {
    for (const e of emitted) {
      const validator = upstreamValidators[channelOf(e)]
      expect(validator.check({ ...e.payload, extra: 1 }), e.name).toBe(false)
    }
    const telemetry = emitted.find((e) => e.name === 'telemetry.synced')?.payload
    expect(validators.telemetry.check({ ...telemetry, readings: { Temperature: 1 } })).toBe(false)
    expect(validators.telemetry.check({ ...telemetry, readings: { temperature_c: Number.POSITIVE_INFINITY } })).toBe(false)
    expect(validators.telemetry.check({ ...telemetry, seq: 2 ** 32 })).toBe(false)
  })

  it('refuses an invalid device id instead of building a bad topic', async () => {
    const result = await run(build.bin('tc_wire'), ['emit', 'Bad/Id'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
  })
})

/** Deterministic, so a failure can be reproduced (mulberry32). */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A JSON text with the keys in a random order: the decoder must not depend on order. */
function shuffled(cmd: Record<string, unknown>, next: () => number): string {
  const entries = Object.entries(cmd)
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]]
  }
  return JSON.stringify(Object.fromEntries(entries))
}

function generateCommands(count: number): Command[] {
  const next = rng(9)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T
  const idChars = 'abcXYZ019_.:-'
  const commands: Command[] = []
  for (let i = 0; i < count; i++) {
    const id = `c${i}${Array.from({ length: Math.floor(next() * 20) }, () => pick([...idChars])).join('')}`
    const issuedAt = Math.floor(next() * 2e12)
    const base = { id, issuedAt, expiresAt: issuedAt + 1 + Math.floor(next() * 120_000) }
    const relay = pick(['compressor', 'valve_1', 'lights', 'compressor'])
    switch (i % 5) {
      case 0:
        commands.push({ ...base, kind: 'relay.set', relay, on: next() < 0.5 })
        break
      case 1: {
        const value = pick([2, -18.5, 0, -0, 0.1 + 0.2, 1e-7, 1e300, -5e-324, next() * 100 - 50])
        commands.push({ ...base, kind: 'setpoint.set', name: pick(['setpoint_c', 'interval_s', 'humidity_pct']), value })
        break
      }
      case 2: {
        const mode = pick(['off', 'on', 'duty', 'duty'] as const)
        const cmd: Command = { ...base, kind: 'failsafe.set', relay, mode }
        if (mode === 'duty' && next() < 0.9) Object.assign(cmd, { onSeconds: 1 + Math.floor(next() * 86_400), offSeconds: 1 + Math.floor(next() * 86_400) })
        commands.push(cmd)
        break
      }
      case 3:
        commands.push({ ...base, kind: 'access.result', cardId: '04A1B2C3', doorId: 'vip', allow: false, reason: 'outside_schedule' })
        break
      default:
        commands.push({ ...base, kind: 'charge.result', txId: 'barra-1-0042', cardId: '04A1B2C3', approved: true, reason: 'approved', balanceMinor: 750000, currency: 'ARS' })
    }
  }
  return commands
}

interface Decoded {
  ok: boolean
  id?: string
  kind?: string
  issuedAt?: number
  expiresAt?: number
  name?: string
  on?: boolean
  value?: number
  mode?: string
  onSeconds?: number
  offSeconds?: number
  hasId?: boolean
  reason?: string
}

async function decode(lines: string[]): Promise<{ decoded: Decoded; ack: Record<string, unknown> | null; ackText: string }[]> {
  const result = await run(build.bin('tc_wire'), ['decode'], { input: lines.map((l) => `${l}\n`).join('') })
  if (result.code !== 0) throw new Error(`tc_wire decode failed (exit ${result.code}):\n${result.stderr}`)
  const out = result.stdout.trimEnd().split('\n')
  expect(out).toHaveLength(lines.length)
  return out.map((line) => {
    const [decoded, ackText = ''] = line.split('\t')
    return { decoded: JSON.parse(decoded as string) as Decoded, ack: ackText ? (JSON.parse(ackText) as Record<string, unknown>) : null, ackText }
  })
}

describe('commands the firmware receives', () => {
  it('decodes protocol-valid commands exactly and answers each with a valid ack', async () => {
    const commands = generateCommands(250)
    const next = rng(4)
    for (const c of commands) expect(validators.command.check(c), JSON.stringify(c)).toBe(true)
    const results = await decode(commands.map((c) => shuffled(c as unknown as Record<string, unknown>, next)))
    results.forEach(({ decoded, ack, ackText }, i) => {
      const c = commands[i] as Command
      const label = JSON.stringify(c)
      expect(decoded, label).toMatchObject({ ok: true, id: c.id, kind: c.kind, issuedAt: c.issuedAt, expiresAt: c.expiresAt })
      if (c.kind === 'relay.set') expect(decoded, label).toMatchObject({ name: c.relay, on: c.on })
      if (c.kind === 'setpoint.set') {
        expect(decoded.name, label).toBe(c.name)
        // Bit for bit, as the JSON text carries it (JSON.stringify writes -0 as 0).
        const sent = (JSON.parse(JSON.stringify(c)) as { value: number }).value
        expect(Object.is(decoded.value, sent), `${label} -> ${decoded.value}`).toBe(true)
      }
      if (c.kind === 'failsafe.set') expect(decoded, label).toMatchObject({ name: c.relay, mode: c.mode, onSeconds: c.onSeconds ?? 0, offSeconds: c.offSeconds ?? 0 })

      // The ack: valid protocol, same id, and the verdict the simulated node would give.
      expect(validators.ack.check(ack), `${label} -> ${ackText}`).toBe(true)
      expect(ack?.id).toBe(c.id)
      const known = c.kind === 'relay.set' || c.kind === 'failsafe.set' ? ['compressor', 'valve_1'].includes(c.relay) : true
      let error: string | undefined
      if (c.kind === 'access.result' || c.kind === 'charge.result') error = 'unsupported_command'
      else if (!known) error = 'unknown_relay'
      else if (c.kind === 'failsafe.set' && c.mode === 'duty' && c.onSeconds === undefined) error = 'invalid_failsafe'
      else if (c.kind === 'setpoint.set' && c.name === 'humidity_pct') error = 'unknown_setpoint'
      else if (c.kind === 'setpoint.set' && c.name === 'interval_s' && !(c.value >= 1 && c.value <= 3600)) error = 'out_of_range'
      else if (c.kind === 'setpoint.set' && c.name === 'setpoint_c' && !(c.value >= -30 && c.value <= 30)) error = 'out_of_range'
      expect(ack, label).toEqual(error ? { id: c.id, ok: false, error } : { id: c.id, ok: true })
    })
  })

  // Each is refused by the protocol's own validator and by the C decoder.
  const malformed: { why: string; text: string; ackedAs?: RegExp }[] = [
    { why: 'not JSON', text: '{"id":"x",' },
    { why: 'an array', text: '[{"id":"x"}]' },
    { why: 'no id', text: '{"issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":"compressor","on":true}' },
    { why: 'id with a space', text: '{"id":"a b","issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":"compressor","on":true}' },
    { why: 'id too long', text: JSON.stringify({ id: 'x'.repeat(65), issuedAt: 1, expiresAt: 2, kind: 'relay.set', relay: 'compressor', on: true }) },
    { why: 'unknown kind', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"relay.toggle","relay":"compressor"}', ackedAs: /^bad_command: \/kind/ },
    { why: 'unknown field', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":"compressor","on":true,"force":true}', ackedAs: /^bad_command: \/force: unknown field/ },
    { why: 'on as a string', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":"compressor","on":"true"}', ackedAs: /^bad_command: \/on: must be boolean/ },
    { why: 'missing on', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":"compressor"}', ackedAs: /^bad_command: \/on: required/ },
    { why: 'fractional issuedAt', text: '{"id":"x","issuedAt":1.5,"expiresAt":2,"kind":"relay.set","relay":"compressor","on":true}', ackedAs: /\/issuedAt/ },
    { why: 'negative expiresAt', text: '{"id":"x","issuedAt":1,"expiresAt":-2,"kind":"relay.set","relay":"compressor","on":true}', ackedAs: /\/expiresAt/ },
    { why: 'expiresAt past the epoch limit', text: '{"id":"x","issuedAt":1,"expiresAt":8640000000000001,"kind":"relay.set","relay":"compressor","on":true}', ackedAs: /\/expiresAt/ },
    { why: 'relay name with capitals', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":"Compressor","on":true}', ackedAs: /\/relay/ },
    { why: 'setpoint value null', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"setpoint.set","name":"setpoint_c","value":null}', ackedAs: /\/value/ },
    { why: 'setpoint value 1e999 (Infinity)', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"setpoint.set","name":"setpoint_c","value":1e999}' },
    { why: 'unknown fail-safe mode', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"failsafe.set","relay":"compressor","mode":"blink"}', ackedAs: /\/mode/ },
    { why: 'zero onSeconds', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"failsafe.set","relay":"compressor","mode":"duty","onSeconds":0,"offSeconds":9}', ackedAs: /\/onSeconds/ },
    { why: 'offSeconds over a day', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"failsafe.set","relay":"compressor","mode":"duty","onSeconds":9,"offSeconds":86401}', ackedAs: /\/offSeconds/ },
    // A hostile key ends up in the refusal: escaped, cut to the ack's limit, never invalid UTF-8.
    { why: 'a long non-ASCII unknown key', text: `{"id":"x","issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":"compressor","on":true,${JSON.stringify(`"\n${'é'.repeat(200)}`)}:1}`, ackedAs: /^bad_command: \/"\né+/ },
    { why: 'nested value', text: '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":{"name":"compressor"},"on":true}' },
  ]

  it('refuses malformed commands, acking with the reason only when the id is usable', async () => {
    for (const m of malformed) expect(parsePayload(m.text, validators.command).ok, `the protocol must refuse: ${m.why}`).toBe(false)
    const results = await decode(malformed.map((m) => m.text))
    results.forEach(({ decoded, ack }, i) => {
      const m = malformed[i] as (typeof malformed)[number]
      expect(decoded.ok, m.why).toBe(false)
      if (m.ackedAs) {
        expect(validators.ack.check(ack), m.why).toBe(true)
        expect(ack?.ok, m.why).toBe(false)
        expect(String(ack?.error), m.why).toMatch(m.ackedAs)
      } else {
        expect(ack, m.why).toBeNull()
      }
    })
  })

  it('is stricter than JSON.parse on ambiguous input: a repeated key is refused', async () => {
    const text = '{"id":"x","issuedAt":1,"expiresAt":2,"kind":"relay.set","relay":"compressor","on":false,"on":true}'
    // JSON.parse keeps the last "on"; a node must not guess which one the gateway meant.
    expect(parsePayload(text, validators.command).ok).toBe(true)
    const [result] = await decode([text])
    expect(result?.decoded).toMatchObject({ ok: false, reason: 'duplicate key' })
  })

  it('refuses a command that expired before it was issued', async () => {
    const cmd = { id: 'late', issuedAt: 5000, expiresAt: 5000, kind: 'relay.set', relay: 'compressor', on: true }
    expect(validators.command.check(cmd)).toBe(true)
    const [result] = await decode([JSON.stringify(cmd)])
    expect(result?.ack).toEqual({ id: 'late', ok: false, error: 'expired' })
  })
})

describe('the config partition example', () => {
  it('parses with the firmware\'s own parser, and a broken copy names the line', async () => {
    const example = await readFile(new URL('../tconfig.example', import.meta.url), 'utf8')
    const ok = await run(build.bin('tc_wire'), ['config'], { input: example })
    expect(ok.stdout.trim(), ok.stderr).toBe('ok camara-1 relays=2 sensors=3 setpoints=2')
    const broken = example.replace('relay=valve_1 gpio=27', 'relay=valve_1 gpio=35')
    const line = example.split('\n').findIndex((l) => l.startsWith('relay=valve_1')) + 1
    const bad = await run(build.bin('tc_wire'), ['config'], { input: broken })
    expect(bad.code).toBe(1)
    expect(bad.stdout.trim()).toBe(`error: line ${line} (relay): bad GPIO: gpio 35 is input-only`)
  })
})

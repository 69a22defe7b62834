import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { PaymentRecord } from '@tendero/protocol'
import { isBalanced } from '../src/access/wallet.js'
import { BAR, CASHIER, barSite, eventsOf, startBarGateway, type BarGateway } from './access-harness.js'
import { waitFor } from './harness.js'

let t: BarGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

/** Small seeded PRNG, so a failing run can be replayed from its seed. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296
  }
}

const resultFor = (tx: string) => (c: Record<string, unknown>) => c.kind === 'charge.result' && c.txId === tx

describe('cashless ledger', () => {
  it('after hundreds of random charges, top-ups and retries, entries balance and sum to the card balances', async () => {
    const seed = Number(process.env.ACCESS_SEED ?? 20251121)
    const random = mulberry32(seed)
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
    // A high site-wide offline limit, so cards also run out of balance; Joaquín keeps his low one.
    const site = await barSite((s) => (s.access!.offlineLimitMinor = 5_000_000))
    // The test harness's cloud URL answers nothing, so the whole run is offline and the offline limits bite too.
    t = await startBarGateway(site)
    const bar = await t.device(BAR)
    const cashier = await t.device(CASHIER)
    const cards = ['04A1B2C3', '04D4E5F6', '0411AA22', 'CAFE0001']
    const sent = new Map<object, string[]>([
      [bar, []],
      [cashier, []],
    ])

    const publishes: Promise<void>[] = []
    for (let i = 0; i < 300; i++) {
      const topup = random() < 0.25
      const device = topup ? cashier : random() < 0.8 ? bar : cashier
      const own = sent.get(device)!
      const tx = own.length > 0 && random() < 0.1 ? pick(own) : `${topup ? 'caja' : 'pos'}-${i}`
      own.push(tx)
      const amount_minor = 1 + Math.floor(random() * 300_000)
      const currency = random() < 0.05 ? 'USD' : 'ARS'
      // Not awaited one by one: MQTT keeps each client's order, and the gateway sees bursts as a bar would.
      publishes.push(device.event(topup ? 'pos.topup' : 'pos.charge', { tx, card: pick(cards), amount_minor, currency }))
    }
    await Promise.all(publishes)
    // Every request, retries included, gets an answer.
    await waitFor(() => bar.commands.length === sent.get(bar)!.length && cashier.commands.length === sent.get(cashier)!.length, 15_000)
    await t.gw.access!.settled()

    const payments = eventsOf(t.gw, 'payment').map((e) => e.body as PaymentRecord)
    const keys = payments.map((p) => `${p.terminalId}/${p.txId}`)
    expect(new Set(keys).size).toBe(keys.length) // a retry never logs a second movement

    // Replay the log against a model of the wallet: every decision must follow from the balances before it.
    const balance = new Map<string, number>()
    const offlineSpent = new Map<string, number>()
    const cardConfig = new Map(site.access!.cards.map((c) => [c.id, c]))
    const reasons = new Map<string, number>()
    for (const p of payments) {
      reasons.set(p.reason, (reasons.get(p.reason) ?? 0) + 1)
      const before = balance.get(p.cardId) ?? 0
      const card = cardConfig.get(p.cardId)
      if (!p.approved) {
        expect(p.entries).toEqual([])
        expect(p.balanceAfterMinor).toBe(before)
        if (p.reason === 'insufficient_balance') expect(p.amountMinor).toBeGreaterThan(before)
        if (p.reason === 'offline_limit')
          expect((offlineSpent.get(p.cardId) ?? 0) + p.amountMinor).toBeGreaterThan(card!.offlineLimitMinor ?? site.access!.offlineLimitMinor)
        if (p.reason === 'unknown_card') expect(card).toBeUndefined()
        if (p.reason === 'card_blocked') expect(card?.blocked).toBe(true)
        if (p.reason === 'currency_mismatch') expect(p.currency).not.toBe('ARS')
        continue
      }
      // Opening balances are the holder's money even on a blocked card; only spending is refused.
      if (p.terminalId !== 'opening') expect(card && !card.blocked && p.currency === 'ARS').toBe(true)
      expect(isBalanced(p.entries)).toBe(true)
      const delta = p.kind === 'charge' ? -p.amountMinor : p.amountMinor
      expect(before + delta).toBeGreaterThanOrEqual(0)
      balance.set(p.cardId, before + delta)
      if (p.kind === 'charge' && p.terminalId !== 'opening')
        offlineSpent.set(p.cardId, (offlineSpent.get(p.cardId) ?? 0) + p.amountMinor)
      expect(p.balanceAfterMinor).toBe(before + delta)
    }
    // The random run reached every kind of outcome, or it proves less than it claims.
    for (const r of ['approved', 'insufficient_balance', 'offline_limit', 'unknown_card', 'card_blocked', 'currency_mismatch'])
      expect(reasons.get(r) ?? 0, `seed ${seed}: no ${r}`).toBeGreaterThan(0)

    // The log's ledger lines, per card account, are the wallet's balances.
    const fromLog = new Map<string, number>()
    for (const p of payments)
      for (const e of p.entries) fromLog.set(e.account, (fromLog.get(e.account) ?? 0) + e.creditMinor - e.debitMinor)
    const wallet = t.gw.access!.wallet
    const balances = wallet.balances()
    for (const [cardId, minor] of balance) {
      expect(balances.get(cardId)).toBe(minor)
      expect(fromLog.get(`card:${cardId}`)).toBe(minor)
    }
    expect(wallet.accountTotals()).toEqual(fromLog)
    expect([...fromLog.values()].reduce((a, b) => a + b, 0)).toBe(0) // debits = credits over the whole ledger

    // Each answer carries the balance its decision left.
    const byKey = new Map(payments.map((p) => [`${p.terminalId}/${p.txId}`, p]))
    for (const [device, terminal] of [[bar, BAR.id], [cashier, CASHIER.id]] as const)
      for (const c of device.commands) expect(c.balanceMinor).toBe(byKey.get(`${terminal}/${String(c.txId)}`)!.balanceAfterMinor)
  })

  it('balances and past decisions survive a restart, and a lost wallet is rebuilt from the log', async () => {
    const site = await barSite()
    t = await startBarGateway(site)
    const dir = t.dir
    let bar = await t.device(BAR)
    const charge = (tx: string, amount_minor: number) => ({ tx, card: '04A1B2C3', amount_minor, currency: 'ARS' })
    expect(await bar.request('pos.charge', charge('barra-1-0001', 250_000), resultFor('barra-1-0001'))).toMatchObject({ balanceMinor: 750_000 })
    await t.stop()

    t = await startBarGateway(site, { dir })
    bar = await t.device(BAR)
    // The opening balance is credited once, not on every start.
    expect(await bar.request('pos.charge', charge('barra-1-0002', 100_000), resultFor('barra-1-0002'))).toMatchObject({ approved: true, balanceMinor: 650_000 })
    const retry = await bar.request('pos.charge', charge('barra-1-0001', 250_000), resultFor('barra-1-0001'))
    expect(retry).toMatchObject({ approved: true, balanceMinor: 750_000 })
    await t.stop()

    // As if the gateway died between writing a payment to the log and applying it: the wallet is behind.
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, `wallet.db${suffix}`), { force: true })
    t = await startBarGateway(site, { dir })
    expect(t.gw.access!.wallet.card('04A1B2C3').balanceMinor).toBe(650_000)
    expect(t.gw.access!.wallet.card('04D4E5F6').balanceMinor).toBe(300_000)
    bar = await t.device(BAR)
    expect(await bar.request('pos.charge', charge('barra-1-0001', 250_000), resultFor('barra-1-0001'))).toMatchObject({ balanceMinor: 750_000 })
    expect(await bar.request('pos.charge', charge('barra-1-0003', 650_001), resultFor('barra-1-0003'))).toMatchObject({
      approved: false,
      reason: 'insufficient_balance',
      balanceMinor: 650_000,
    })
    await t.gw.access!.settled()
    expect(eventsOf(t.gw, 'payment').filter((p) => p.body.terminalId === 'opening')).toHaveLength(3)
  })
})

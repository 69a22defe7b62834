import { afterEach, describe, expect, it } from 'vitest'
import { validators } from '@tendero/protocol'
import { BAR, CASHIER, FRIDAY_NIGHT, READER, barSite, eventsOf, startBarGateway, switchableCloud, type BarGateway } from './access-harness.js'
import { waitFor } from './harness.js'

let t: BarGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const swipeFor = (card: string) => (c: Record<string, unknown>) => c.kind === 'access.result' && c.cardId === card
const resultFor = (tx: string) => (c: Record<string, unknown>) => c.kind === 'charge.result' && c.txId === tx
const charge = (tx: string, card: string, amount_minor: number, currency = 'ARS') => ({ tx, card, amount_minor, currency })

describe('RFID doors decided on the gateway', () => {
  it('opens the VIP door to an allowed card on a Friday night, logging the decision before answering', async () => {
    const clock = FRIDAY_NIGHT
    t = await startBarGateway(await barSite(), { gateway: { now: () => clock } })
    const reader = await t.device(READER)

    const result = await reader.request('rfid.swipe', { card: '04a1b2c3', door: 'vip' }, swipeFor('04A1B2C3'))
    expect(result).toMatchObject({ kind: 'access.result', doorId: 'vip', allow: true, reason: 'allowed', issuedAt: clock, expiresAt: clock + 60_000 })
    expect(validators.command.check(result)).toBe(true)

    await t.gw.access!.settled()
    const [access] = eventsOf(t.gw, 'access')
    expect(access).toMatchObject({ deviceId: READER.id, body: { cardId: '04A1B2C3', doorId: 'vip', allow: true, reason: 'allowed', holder: 'Martina Gómez' } })
    const [command] = eventsOf(t.gw, 'command').filter((e) => e.body.id === result.id)
    expect(access!.seq).toBeLessThan(command!.seq)
    expect(validators.logEvent.explain(access)).toEqual([])
  })

  it('refuses unknown, blocked and not-allowed cards, unknown doors, and the VIP door outside its hours', async () => {
    let clock = FRIDAY_NIGHT
    t = await startBarGateway(await barSite(), { gateway: { now: () => clock } })
    const reader = await t.device(READER)
    const swipe = async (card: string, door?: string) =>
      reader.request('rfid.swipe', door ? { card, door } : { card }, swipeFor(card.toUpperCase()))

    expect(await swipe('DEADBEEF', 'vip')).toMatchObject({ allow: false, reason: 'unknown_card' })
    expect(await swipe('0411AA22', 'vip')).toMatchObject({ allow: false, reason: 'card_blocked' })
    // Martina's card opens only the VIP door.
    expect(await swipe('04A1B2C3', 'staff')).toMatchObject({ allow: false, reason: 'door_not_allowed', doorId: 'staff' })
    expect(await swipe('04A1B2C3', 'sotano')).toMatchObject({ allow: false, reason: 'unknown_door' })
    // The reader serves two doors, so a swipe naming none cannot be placed.
    expect(await swipe('04D4E5F6')).toMatchObject({ allow: false, reason: 'unknown_door' })
    // Joaquín's card opens every door; staff has no schedule.
    expect(await swipe('04D4E5F6', 'staff')).toMatchObject({ allow: true, reason: 'allowed' })

    clock = Date.UTC(2025, 10, 22, 15, 0) // Saturday 12:00 in Buenos Aires
    expect(await swipe('04A1B2C3', 'vip')).toMatchObject({ allow: false, reason: 'outside_schedule' })
    clock = Date.UTC(2025, 10, 23, 8, 59) // Sunday 05:59: still Saturday's night
    expect(await swipe('04A1B2C3', 'vip')).toMatchObject({ allow: true, reason: 'allowed' })

    await t.gw.access!.settled()
    expect(eventsOf(t.gw, 'access').map((e) => e.body.reason)).toEqual([
      'unknown_card',
      'card_blocked',
      'door_not_allowed',
      'unknown_door',
      'unknown_door',
      'allowed',
      'outside_schedule',
      'allowed',
    ])
  })

  it('ignores a malformed swipe and keeps deciding the next one', async () => {
    t = await startBarGateway(await barSite(), { gateway: { now: () => FRIDAY_NIGHT } })
    const reader = await t.device(READER)
    await reader.event('rfid.swipe', { door: 'vip' })
    await reader.event('rfid.swipe', { card: 'x', door: 'vip' })
    expect(await reader.request('rfid.swipe', { card: '04A1B2C3', door: 'vip' }, swipeFor('04A1B2C3'))).toMatchObject({ allow: true })
    expect(t.gw.access!.ignoredCounts()).toEqual({ invalid_swipe: 2 })
    expect(reader.commands).toHaveLength(1)
  })
})

describe('cashless cards', () => {
  it('charges at the bar with the balance going down, logs a balanced payment, and declines what the card cannot pay', async () => {
    t = await startBarGateway(await barSite())
    const bar = await t.device(BAR)

    const ok = await bar.request('pos.charge', charge('barra-1-0001', '04A1B2C3', 250_000), resultFor('barra-1-0001'))
    expect(ok).toMatchObject({ approved: true, reason: 'approved', balanceMinor: 750_000, currency: 'ARS', cardId: '04A1B2C3' })
    expect(validators.command.check(ok)).toBe(true)
    const ok2 = await bar.request('pos.charge', charge('barra-1-0002', '04A1B2C3', 700_000), resultFor('barra-1-0002'))
    expect(ok2).toMatchObject({ approved: true, balanceMinor: 50_000 })
    const poor = await bar.request('pos.charge', charge('barra-1-0003', '04A1B2C3', 50_001), resultFor('barra-1-0003'))
    expect(poor).toMatchObject({ approved: false, reason: 'insufficient_balance', balanceMinor: 50_000 })
    const blocked = await bar.request('pos.charge', charge('barra-1-0004', '0411AA22', 100), resultFor('barra-1-0004'))
    expect(blocked).toMatchObject({ approved: false, reason: 'card_blocked' })
    const unknown = await bar.request('pos.charge', charge('barra-1-0005', 'CAFECAFE', 100), resultFor('barra-1-0005'))
    expect(unknown).toMatchObject({ approved: false, reason: 'unknown_card', balanceMinor: 0 })
    const dollars = await bar.request('pos.charge', charge('barra-1-0006', '04A1B2C3', 100, 'USD'), resultFor('barra-1-0006'))
    expect(dollars).toMatchObject({ approved: false, reason: 'currency_mismatch', balanceMinor: 50_000 })

    await t.gw.access!.settled()
    const payments = eventsOf(t.gw, 'payment').filter((e) => e.deviceId === BAR.id)
    expect(payments[0]!.body).toEqual({
      txId: 'barra-1-0001',
      cardId: '04A1B2C3',
      terminalId: 'barra-1',
      kind: 'charge',
      amountMinor: 250_000,
      currency: 'ARS',
      approved: true,
      reason: 'approved',
      balanceAfterMinor: 750_000,
      entries: [
        { account: 'card:04A1B2C3', debitMinor: 250_000, creditMinor: 0 },
        { account: 'sales:barra-1', debitMinor: 0, creditMinor: 250_000 },
      ],
    })
    expect(payments.map((p) => [p.body.reason, p.body.entries.length])).toEqual([
      ['approved', 2],
      ['approved', 2],
      ['insufficient_balance', 0],
      ['card_blocked', 0],
      ['unknown_card', 0],
      ['currency_mismatch', 0],
    ])
    for (const p of payments) expect(validators.logEvent.explain(p)).toEqual([])
    expect(t.gw.access!.wallet.card('04A1B2C3').balanceMinor).toBe(50_000)
  })

  it('answers a retried charge with the original result and charges once', async () => {
    t = await startBarGateway(await barSite())
    const bar = await t.device(BAR)
    const first = await bar.request('pos.charge', charge('barra-1-0042', '04A1B2C3', 250_000), resultFor('barra-1-0042'))
    const retry = await bar.request('pos.charge', charge('barra-1-0042', '04A1B2C3', 250_000), resultFor('barra-1-0042'))
    expect(retry.id).not.toBe(first.id)
    expect(retry).toMatchObject({ approved: true, balanceMinor: 750_000 })
    // Even a retry that got mangled on the way keeps the original answer.
    const odd = await bar.request('pos.charge', charge('barra-1-0042', '04A1B2C3', 999), resultFor('barra-1-0042'))
    expect(odd).toMatchObject({ approved: true, balanceMinor: 750_000 })
    await t.gw.access!.settled()
    expect(eventsOf(t.gw, 'payment').filter((p) => p.body.txId === 'barra-1-0042')).toHaveLength(1)
    expect(t.gw.access!.wallet.card('04A1B2C3').balanceMinor).toBe(750_000)
  })

  it('tops up at the cashier only; a bar terminal and a non-terminal device are not heard', async () => {
    t = await startBarGateway(await barSite())
    const cashier = await t.device(CASHIER)
    const bar = await t.device(BAR)
    const reader = await t.device(READER)
    const topup = await cashier.request('pos.topup', charge('caja-1-0001', '04D4E5F6', 200_000), resultFor('caja-1-0001'))
    expect(topup).toMatchObject({ approved: true, reason: 'approved', balanceMinor: 500_000 })
    await bar.event('pos.topup', charge('barra-1-0001', '04D4E5F6', 1_000_000))
    await reader.event('pos.charge', charge('lector-0001', '04D4E5F6', 1))
    await waitFor(() => Object.keys(t!.gw.access!.ignoredCounts()).length === 2)
    expect(t.gw.access!.ignoredCounts()).toEqual({ topup_not_allowed: 1, not_a_terminal: 1 })
    expect(bar.commands).toEqual([])
    await t.gw.access!.settled()
    const [payment] = eventsOf(t.gw, 'payment').filter((e) => e.deviceId === CASHIER.id)
    expect(payment!.body.entries).toEqual([
      { account: 'cash:caja-1', debitMinor: 200_000, creditMinor: 0 },
      { account: 'card:04D4E5F6', debitMinor: 0, creditMinor: 200_000 },
    ])
    expect(t.gw.access!.wallet.card('04D4E5F6').balanceMinor).toBe(500_000)
  })

  it('caps what a card spends while the cloud is unreachable, and lifts the cap when it is back', async () => {
    let clock = FRIDAY_NIGHT
    const cloud = switchableCloud()
    t = await startBarGateway(await barSite(), {
      gateway: { now: () => clock, fetch: cloud.fetch, uplink: { idleMs: 20, backoffBaseMs: 10, backoffCapMs: 40 } },
    })
    const bar = await t.device(BAR)
    let n = 0
    const pay = async (amount: number) => {
      const tx = `barra-1-${++n}`
      return bar.request('pos.charge', charge(tx, '04D4E5F6', amount), resultFor(tx))
    }
    // Never reached the cloud: Joaquín may spend 1000.00 of his 3000.00 offline.
    expect(await pay(60_000)).toMatchObject({ approved: true, balanceMinor: 240_000 })
    expect(await pay(50_000)).toMatchObject({ approved: false, reason: 'offline_limit', balanceMinor: 240_000 })
    expect(await pay(40_000)).toMatchObject({ approved: true, balanceMinor: 200_000 })

    cloud.up = true
    await waitFor(() => t!.gw.uplink.status().lastSuccessAt !== null && t!.gw.uplink.status().lastError === null)
    expect(await pay(150_000)).toMatchObject({ approved: true, balanceMinor: 50_000 })

    cloud.up = false
    // The uplink only notices when it has something to send.
    await bar.event('pos.heartbeat', {})
    await waitFor(() => t!.gw.uplink.status().lastError !== null)
    // A failure within a minute of the last success is a blip, not an outage...
    expect(await pay(10_000)).toMatchObject({ approved: true, balanceMinor: 40_000 })
    clock += 61_000
    // ...past it the card is offline again, with a fresh allowance counted from now.
    expect(await pay(30_000)).toMatchObject({ approved: true, balanceMinor: 10_000 })
    await t.gw.access!.settled()
    expect(t.gw.access!.wallet.card('04D4E5F6')).toEqual({ balanceMinor: 10_000, offlineSpentMinor: 30_000 })

    cloud.up = true
    await waitFor(() => t!.gw.uplink.status().lastError === null)
    expect(await pay(10_000)).toMatchObject({ approved: true, balanceMinor: 0 })
    await t.gw.access!.settled()
    expect(t.gw.access!.wallet.card('04D4E5F6')).toEqual({ balanceMinor: 0, offlineSpentMinor: 0 })
  })
})

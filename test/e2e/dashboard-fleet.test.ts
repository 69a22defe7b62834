/**
 * Devices and gateways in a real Chromium against the real stack: a technician creates a
 * claim code in the fleet page by keyboard, a second real gateway is started with it and
 * claims it, and the page shows it online; then a command sent from the gateway page
 * (the cold room's compressor on) comes back `ok` from the real gateway and device.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../gateway/src/config.js'
import { buildGateway, type Gateway } from '../../gateway/src/gateway.js'
import { provisionGateway } from '../../gateway/src/provision/index.js'
import { activateByKeyboard, dashboardDir, focusByTab, haveChromium, launchBrowser, logIn, screenshots, unlabelledFields } from './browser-harness.js'
import { DEMO, startStack, type Stack } from './stack.js'

describe.skipIf(!haveChromium)('devices and gateways in a real browser', () => {
  let stack: Stack
  let browser: Browser
  let page: Page
  let claimedGateway: Gateway | undefined
  const tempDirs: string[] = []

  beforeAll(async () => {
    stack = await startStack({ dashboardDir: dashboardDir(), intervalMs: 1000 })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  })

  afterAll(async () => {
    await browser?.close()
    await claimedGateway?.stop()
    await stack?.stop()
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  })

  it('provisions a real gateway with a claim code created in the UI and shows it online', async () => {
    await logIn(page, stack.cloudUrl)
    await page.goto(`${stack.cloudUrl}/equipos`)
    const demoGateway = page.locator(`[data-testid=gateway-item][data-gateway-id=${DEMO.gateway.id}]`)
    await expect.poll(() => demoGateway.getAttribute('data-online'), { timeout: 20_000 }).toBe('true')

    // By keyboard: open the dialog, name the gateway, create the code.
    await activateByKeyboard(page, '[data-testid=provision-open]')
    await page.waitForSelector('[data-testid=provision-dialog][open]')
    await focusByTab(page, '[data-testid=provision-name]')
    await page.keyboard.type('Gateway depósito')
    await activateByKeyboard(page, '[data-testid=provision-create]')
    const code = (await page.locator('[data-testid=claim-code]').textContent({ timeout: 10_000 }))?.trim() ?? ''
    expect(code).toMatch(/^[A-Z0-9]{4,}-?[A-Z0-9]+$/)
    expect(await page.textContent('[data-testid=claim-env]')).toContain(`GATEWAY_CLAIM_CODE=${code}`)
    expect(await page.textContent('[data-testid=claim-env]')).toContain(`CLOUD_URL=${stack.cloudUrl}`)
    await expect.poll(() => page.locator('[data-testid=claim-code-item][data-status=open]').count()).toBe(1)
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'fleet-provision')

    // What the technician does: an empty data folder, the code and the cloud URL.
    const dataDir = mkdtempSync(join(tmpdir(), 'tendero-e2e-claim-'))
    tempDirs.push(dataDir)
    const pending = loadConfig({
      CLOUD_URL: stack.cloudUrl, GATEWAY_CLAIM_CODE: code, GATEWAY_HARDWARE_ID: 'SN-E2E-0042', GATEWAY_DATA_DIR: dataDir,
      GATEWAY_MQTT_HOST: '127.0.0.1', GATEWAY_MQTT_PORT: '0', GATEWAY_API_HOST: '127.0.0.1', GATEWAY_API_PORT: '0',
      GATEWAY_MQTT_WS_PORT: 'off', GATEWAY_CLOCK: 'trusted', GATEWAY_LOG_LEVEL: 'silent',
    })
    const logger = pino({ level: 'silent' })
    const config = await provisionGateway(pending, { logger })
    claimedGateway = buildGateway(config, { logger, uplink: { idleMs: 50, backoffCapMs: 500 } })
    await claimedGateway.start()

    const claimed = page.locator('[data-testid=provision-claimed]')
    await expect.poll(() => claimed.getAttribute('data-online'), { timeout: 20_000 }).toBe('true')
    expect(await claimed.getAttribute('data-gateway-id')).toBe(config.gatewayId)
    expect(await claimed.textContent()).toContain('Gateway depósito')
    await expect.poll(() => page.locator('[data-testid=claim-code-item][data-status=used]').count()).toBe(1)

    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid=provision-dialog]', { state: 'detached' })
    const newGateway = page.locator(`[data-testid=gateway-item][data-gateway-id=${config.gatewayId}]`)
    await expect.poll(() => newGateway.getAttribute('data-online'), { timeout: 20_000 }).toBe('true')
    expect(await newGateway.locator('[data-testid=gateway-hardware-id]').textContent()).toContain('SN-E2E-0042')
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'fleet')
  })

  it("sends the compressor on to the stack's cold room and shows the outcome ok", async () => {
    await page.goto(`${stack.cloudUrl}/equipos`)
    await activateByKeyboard(page, `[data-gateway-id=${DEMO.gateway.id}] [data-testid=gateway-link]`)
    await page.waitForURL(`**/equipos/${DEMO.gateway.id}`)
    const panel = page.locator(`[data-testid=command-panel][data-device-id=${DEMO.device.id}]`)
    // The commands come from the config the gateway reported on connecting.
    const relayOn = `[data-testid=command-panel][data-device-id=${DEMO.device.id}] [data-command="relay.set:compressor:on"]`
    await expect.poll(async () => page.locator(relayOn).count(), { timeout: 40_000 }).toBe(1)

    await activateByKeyboard(page, relayOn)
    const outcome = panel.locator('[data-testid=command-outcome]')
    await expect.poll(() => outcome.getAttribute('data-outcome'), { timeout: 20_000 }).toBe('ok')
    expect(await outcome.getAttribute('data-command')).toBe('relay.set:compressor:on')

    // The device's registry form is labelled too.
    await activateByKeyboard(page, `[data-testid=device-edit][data-device-id=${DEMO.device.id}]`)
    await page.waitForSelector('[data-testid=device-form]')
    expect(await unlabelledFields(page)).toEqual([])
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid=device-form]', { state: 'detached' })
    expect(await unlabelledFields(page)).toEqual([])
    await screenshots(page, 'gateway')
  })
})

import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Contact } from '../../api/crm.js'
import { i18n } from '../../i18n/index.js'
import PortalInvite from './PortalInvite.vue'
import { stubCloud } from './testing.js'

const contact = (over: Partial<Contact> = {}): Contact => ({
  id: 'c1', kind: 'customer', name: 'Kiosco Ana', company: null, email: 'ana@kiosco.example', phone: null, taxId: null, vertical: null, city: null, country: null,
  annualRevenueMinor: null, revenueCurrency: null, ownerUserId: null, source: null, tags: [], notes: null, score: 0, lastInteractionAt: null,
  createdAt: 0, updatedAt: 0, archivedAt: null, linkedOrgId: null, ...over,
})

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => vi.unstubAllGlobals())

describe('PortalInvite', () => {
  it('shows a new code once with a copy button, mails it when asked, and revokes the invitation', async () => {
    const expiresAt = Date.UTC(2026, 11, 5)
    let pending: { id: string; createdAt: number; expiresAt: number; mailedTo: string | null } | null = null
    const calls = stubCloud({
      'GET /api/crm/contacts/c1/portal-link': () => Response.json({ contactId: 'c1', linked: null, invitation: pending }),
      'POST /api/crm/contacts/c1/portal-invitations': (_url, init) => {
        const mailedTo = JSON.parse(String(init.body)).sendEmail ? 'ana@kiosco.example' : null
        pending = { id: 'inv1', createdAt: 0, expiresAt, mailedTo }
        return Response.json({ id: 'inv1', contactId: 'c1', code: 'HY7QE-AGK7U', createdAt: 0, expiresAt, mailedTo }, { status: 201 })
      },
      'DELETE /api/crm/contacts/c1/portal-link': () => {
        pending = null
        return Response.json({ contactId: 'c1', linked: null, invitation: null })
      },
    })
    const writeText = vi.fn(async () => undefined)
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } })
    const wrapper = mount(PortalInvite, { props: { contact: contact(), canManage: true, timeZone: 'UTC' }, attachTo: document.body, global: { plugins: [i18n] } })
    await flushPromises()
    expect(wrapper.get('[data-testid=crm-portal-state]').attributes('data-linked')).toBe('false')
    expect(wrapper.get('[data-testid=crm-portal-invite]').text()).toBe('Invitar al portal')
    await wrapper.get('[data-testid=crm-portal-send-email]').setValue(true)
    await wrapper.get('[data-testid=crm-portal-invite]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ sendEmail: true })
    const code = wrapper.get('[data-testid=crm-portal-code]')
    expect((code.element as HTMLInputElement).value).toBe('HY7QE-AGK7U')
    expect(wrapper.find(`label[for="${code.attributes('id')}"]`).text()).toBe('Código de invitación')
    expect(wrapper.get('[data-testid=crm-portal-pending]').text()).toContain('ana@kiosco.example')
    await wrapper.get('[data-testid=crm-portal-copy]').trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith('HY7QE-AGK7U')
    expect(wrapper.get('[data-testid=crm-portal-status]').text()).toBe('Código copiado.')

    await wrapper.get('[data-testid=crm-portal-revoke]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid=crm-portal-code]').exists()).toBe(false)
    expect(wrapper.find('[data-testid=crm-portal-pending]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('shows the organization a linked contact is, and offers removing its access only', async () => {
    stubCloud({ 'GET /api/crm/contacts/c1/portal-link': () => Response.json({ contactId: 'c1', linked: { orgId: 'o2', orgName: 'Kiosco Ana SAS', linkedAt: Date.UTC(2026, 10, 21) }, invitation: null }) })
    const wrapper = mount(PortalInvite, { props: { contact: contact({ linkedOrgId: 'o2' }), canManage: true, timeZone: 'UTC' }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(wrapper.get('[data-testid=crm-portal-state]').text()).toContain('Kiosco Ana SAS')
    expect(wrapper.find('[data-testid=crm-portal-invite]').exists()).toBe(false)
    expect(wrapper.get('[data-testid=crm-portal-revoke]').text()).toBe('Quitar el acceso al portal')
  })
})

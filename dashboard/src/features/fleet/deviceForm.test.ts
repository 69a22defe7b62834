import { describe, expect, it } from 'vitest'
import { checkDraft, draftOf } from './deviceForm.js'

const draft = (overrides = {}) => ({ ...draftOf(null), id: 'heladera-2', name: 'Heladera lácteos', ...overrides })

describe('checkDraft', () => {
  it('sends a new device with its band, a comma taken as the decimal point', () => {
    expect(checkDraft(draft({ minC: '0', maxC: '4,5' }), true)).toEqual({
      ok: true,
      body: { id: 'heladera-2', name: 'Heladera lácteos', kind: 'cold_room', coldBand: { minC: 0, maxC: 4.5 } },
    })
  })

  it('sends no band when both bounds are empty, and one open bound as null', () => {
    expect(checkDraft(draft(), true)).toMatchObject({ ok: true, body: { coldBand: null } })
    expect(checkDraft(draft({ maxC: '-18' }), true)).toMatchObject({ ok: true, body: { coldBand: { minC: null, maxC: -18 } } })
  })

  it('puts each problem on its field', () => {
    expect(checkDraft(draft({ id: 'Heladera 2', name: ' ', kind: 'Cold Room', minC: 'frío', maxC: '300' }), true)).toEqual({
      ok: false,
      problems: { id: 'id', name: 'name', kind: 'kind', minC: 'number', maxC: 'number' },
    })
    expect(checkDraft(draft({ minC: '8', maxC: '2' }), true)).toEqual({ ok: false, problems: { band: 'band' } })
  })

  it('does not check the id of a device being edited (it cannot change)', () => {
    const existing = draftOf({ id: 'camara-1', gatewayId: 'gw', siteId: 's', name: 'Cámara', kind: 'cold_room', coldBand: { minC: 0, maxC: 5 } })
    expect(existing).toMatchObject({ minC: '0', maxC: '5' })
    expect(checkDraft({ ...existing, id: 'whatever IS ignored' }, false).ok).toBe(true)
  })
})

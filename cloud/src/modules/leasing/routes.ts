import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorReply } from '../../errors.js'
import { withIdempotency } from '../common/idempotency.js'
import * as catalog from './catalog.js'
import { checkPeriod, leaseSchedule, listCharges, periodAt, previousPeriod, runRent } from './charges.js'
import { expirations, occupancy, queueExpiryReminders, rentIncome } from './insights.js'
import * as leases from './leases.js'
import { invoicePeriod } from './invoicing.js'
import { resolveCharge, runUtilities } from './metering.js'
import { listIncidents, listPortalLeases, logIncident, reportIncident, updateIncident } from './portal.js'
import { occupancyCsv, occupancyPdf, rentIncomeCsv, rentIncomePdf } from './report-files.js'
import * as s from './schema.js'

const tags = { tags: ['leasing'], security: [{ user: [] }] }
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 422: ErrorReply }
const FileBody = Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' })
const Deleted = Type.Object({ deleted: Type.Literal(true) })
const READ = { permission: 'leasing.read' } as const
const MANAGE = { permission: 'leasing.manage' } as const

/** Rent charges are written hourly for the current month; a rerun writes nothing more. */
const RENT_EVERY_MS = 60 * 60_000
/** Utilities for the month just ended, daily: readings at the boundary arrive late from offline gateways. */
const UTILITIES_EVERY_MS = 24 * 60 * 60_000
const EXPIRY_EVERY_MS = 6 * 60 * 60_000
/** Day of the month from which the month before is metered and invoiced. */
const SETTLE_DAY = 4

/**
 * The leasing module (issue 8): malls, zones and spaces; leases and their rent schedule;
 * metered utilities; occupancy, expirations and reports; and the tenant portal's lease
 * side under /api/portal. README.md has the rules.
 */
const leasingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.jobs.register('leasing.rent', RENT_EVERY_MS, ({ now }) => runRent(app.db, periodAt(now)))
  // Readings at a month's boundary reach the cloud late when a gateway was offline (it
  // forwards its log when back), so the month just ended is metered and invoiced only from
  // the SETTLE_DAY of the next: a charge flagged too early would stay flagged.
  const settled = (now: Date) => now.getUTCDate() >= SETTLE_DAY
  app.jobs.register('leasing.utilities', UTILITIES_EVERY_MS, async ({ now }) =>
    settled(now) ? runUtilities(app.db, previousPeriod(periodAt(now))) : { period: previousPeriod(periodAt(now)), created: 0, existing: 0, waiting: true })
  app.jobs.register('leasing.expiry-reminders', EXPIRY_EVERY_MS, ({ now }) => queueExpiryReminders(app.db, now))
  // The month just ended, once its utilities are in: rent and utilities on one invoice per lease.
  app.jobs.register('leasing.invoice', UTILITIES_EVERY_MS, async ({ now }) => {
    const period = previousPeriod(periodAt(now))
    if (!settled(now)) return { period, invoices: 0, existing: 0, heldForReview: 0, waiting: true }
    // Utilities first (idempotent), so a lease's rent and utilities share one invoice.
    await runUtilities(app.db, period)
    return invoicePeriod(app.db, period, { now })
  })

  const db = app.db
  const P = '/leasing'

  // Malls.
  app.get(`${P}/malls`, { config: READ, schema: { ...tags, description: 'The organization\'s malls, by id.', querystring: s.ListQuery, response: { 200: s.PageOfMalls, ...errors } } },
    (r) => catalog.listMalls(db, r.user.orgId, r.query))
  app.post(`${P}/malls`, { config: MANAGE, schema: { ...tags, description: 'Creates a mall, optionally tied to one of the organization\'s sites (its meters).', body: s.MallBody, response: { 201: s.MallView, ...errors } } },
    async (r, reply) => reply.code(201).send(await catalog.createMall(db, r, r.body)))
  app.get(`${P}/malls/:id`, { config: READ, schema: { ...tags, params: s.IdParams, response: { 200: s.MallView, ...errors } } }, (r) => catalog.getMall(db, r.user.orgId, r.params.id))
  app.patch(`${P}/malls/:id`, { config: MANAGE, schema: { ...tags, params: s.IdParams, body: s.MallPatch, response: { 200: s.MallView, ...errors } } },
    (r) => catalog.updateMall(db, r, r.params.id, r.body))
  app.delete(`${P}/malls/:id`, { config: MANAGE, schema: { ...tags, description: 'Deletes a mall with no zones, spaces or leases (409 otherwise).', params: s.IdParams, response: { 200: Deleted, ...errors } } },
    (r) => catalog.deleteMall(db, r, r.params.id))

  // Zones.
  app.get(`${P}/zones`, { config: READ, schema: { ...tags, querystring: s.ZonesQuery, response: { 200: s.PageOfZones, ...errors } } }, (r) => catalog.listZones(db, r.user.orgId, r.query))
  app.post(`${P}/zones`, { config: MANAGE, schema: { ...tags, body: s.ZoneBody, response: { 201: s.ZoneView, ...errors } } },
    async (r, reply) => reply.code(201).send(await catalog.createZone(db, r, r.body)))
  app.patch(`${P}/zones/:id`, { config: MANAGE, schema: { ...tags, params: s.IdParams, body: s.ZonePatch, response: { 200: s.ZoneView, ...errors } } },
    (r) => catalog.updateZone(db, r, r.params.id, r.body))
  app.delete(`${P}/zones/:id`, { config: MANAGE, schema: { ...tags, params: s.IdParams, response: { 200: Deleted, ...errors } } }, (r) => catalog.deleteZone(db, r, r.params.id))

  // Spaces.
  app.get(`${P}/spaces`, { config: READ, schema: { ...tags, querystring: s.SpacesQuery, response: { 200: s.PageOfSpaces, ...errors } } }, (r) => catalog.listSpaces(db, r.user.orgId, r.query))
  app.post(`${P}/spaces`, { config: MANAGE, schema: { ...tags, description: 'A space: code unique in its mall, area in hundredths of m², type, base rent per month.', body: s.SpaceBody, response: { 201: s.SpaceView, ...errors } } },
    async (r, reply) => reply.code(201).send(await catalog.createSpace(db, r, r.body)))
  app.get(`${P}/spaces/:id`, { config: READ, schema: { ...tags, params: s.IdParams, response: { 200: s.SpaceView, ...errors } } }, (r) => catalog.getSpace(db, r.user.orgId, r.params.id))
  app.patch(`${P}/spaces/:id`, { config: MANAGE, schema: { ...tags, params: s.IdParams, body: s.SpacePatch, response: { 200: s.SpaceView, ...errors } } },
    (r) => catalog.updateSpace(db, r, r.params.id, r.body))
  app.delete(`${P}/spaces/:id`, { config: MANAGE, schema: { ...tags, params: s.IdParams, response: { 200: Deleted, ...errors } } }, (r) => catalog.deleteSpace(db, r, r.params.id))

  // Index tables.
  app.get(`${P}/index-tables`, { config: READ, schema: { ...tags, querystring: s.ListQuery, response: { 200: s.PageOfIndexTables, ...errors } } },
    (r) => catalog.listIndexTables(db, r.user.orgId, r.query))
  app.post(`${P}/index-tables`, { config: MANAGE, schema: { ...tags, description: 'An index table (ICL, IPC...) for index escalation.', body: s.IndexTableBody, response: { 201: s.IndexTableView, ...errors } } },
    async (r, reply) => reply.code(201).send(await catalog.createIndexTable(db, r, r.body)))
  app.get(`${P}/index-tables/:id`, { config: READ, schema: { ...tags, params: s.IdParams, response: { 200: s.IndexTableView, ...errors } } },
    (r) => catalog.getIndexTable(db, r.user.orgId, r.params.id))
  app.put(`${P}/index-tables/:id/values`, { config: MANAGE, schema: { ...tags, description: 'Adds or corrects dated values (decimal text, up to 6 places).', params: s.IdParams, body: s.IndexValuesBody, response: { 200: s.IndexTableView, ...errors } } },
    (r) => catalog.putIndexValues(db, r, r.params.id, r.body.values))

  // Leases.
  app.get(`${P}/leases`, { config: READ, schema: { ...tags, querystring: s.LeasesQuery, response: { 200: s.PageOfLeases, ...errors } } }, (r) => leases.listLeases(db, r.user.orgId, r.query))
  app.post(`${P}/leases`, {
    config: MANAGE,
    schema: { ...tags, description: 'Creates a lease. A space already leased on an overlapping day answers 409 LEASING_SPACE_OVERLAP.', body: s.LeaseBody, response: { 201: s.LeaseView, ...errors } },
  }, async (r, reply) => {
    await withIdempotency(db, r, reply, r.user.orgId, async () => ({ status: 201, body: await leases.createLease(db, r, r.body) }))
    return reply
  })
  app.get(`${P}/leases/:id`, { config: READ, schema: { ...tags, params: s.IdParams, response: { 200: s.LeaseView, ...errors } } }, (r) => leases.getLease(db, r.user.orgId, r.params.id))
  app.patch(`${P}/leases/:id`, { config: MANAGE, schema: { ...tags, params: s.IdParams, body: s.LeasePatch, response: { 200: s.LeaseView, ...errors } } },
    (r) => leases.updateLease(db, r, r.params.id, r.body))
  app.post(`${P}/leases/:id/terminate`, { config: MANAGE, schema: { ...tags, description: 'Ends the lease early; `on` is its last day (prorated, nothing charged after it).', params: s.IdParams, body: s.TerminateBody, response: { 200: s.LeaseView, ...errors } } },
    (r) => leases.terminateLease(db, r, r.params.id, r.body))
  app.post(`${P}/leases/:id/renew`, { config: MANAGE, schema: { ...tags, description: 'mode=new_term: a new linked lease from the day after the end; mode=extend: a later end at a new rent.', params: s.IdParams, body: s.RenewBody, response: { 200: s.LeaseView, 201: s.LeaseView, ...errors } } },
    async (r, reply) => reply.code(r.body.mode === 'new_term' ? 201 : 200).send(await leases.renewLease(db, r, r.params.id, r.body)))
  app.get(`${P}/leases/:id/schedule`, {
    config: READ,
    schema: { ...tags, description: 'The lease\'s charges, and the rent of the periods not charged yet from `from` (default this month), computed without writing them.', params: s.IdParams,
      querystring: Type.Object({ months: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 })), from: Type.Optional(s.Period) }, { additionalProperties: false }), response: { 200: s.ScheduleView, ...errors } },
  }, (r) => leaseSchedule(db, r.user.orgId, r.params.id, r.query))

  // Charges and runs.
  app.get(`${P}/charges`, { config: READ, schema: { ...tags, description: 'Charges, newest period first.', querystring: s.ChargesQuery, response: { 200: s.PageOfCharges, ...errors } } },
    (r) => listCharges(db, r.user.orgId, r.query))
  app.post(`${P}/charges/:id/resolve`, { config: MANAGE, schema: { ...tags, description: 'Resolves a utility charge that needs review with readings taken on site or an estimate, and a note.', params: s.IdParams, body: s.ResolveBody, response: { 200: s.ChargeView, ...errors } } },
    (r) => resolveCharge(db, r, r.params.id, r.body))
  app.post(`${P}/rent-runs`, { config: MANAGE, schema: { ...tags, description: 'Writes the period\'s rent charges of the organization\'s leases (idempotent: counts created and existing).', body: s.RunBody, response: { 200: s.RunResult, ...errors } } },
    (r) => {
      checkPeriod(r.body.period)
      return runRent(db, r.body.period, { orgId: r.user.orgId, actor: r })
    })
  app.post(`${P}/utility-runs`, { config: MANAGE, schema: { ...tags, description: 'Writes the period\'s metered utility charges (idempotent); gaps are flagged needs_review.', body: s.RunBody, response: { 200: s.RunResult, ...errors } } },
    (r) => runUtilities(db, r.body.period, { orgId: r.user.orgId, actor: r }))

  app.post(`${P}/invoice-runs`, {
    config: { permission: 'billing.manage' },
    schema: { ...tags, description: 'Invoices the period\'s charges not invoiced yet, one invoice per lease (sourceKey lease:<id>:<period>); charges under review are held and named in the notes.',
      body: s.RunBody, response: { 200: Type.Object({ period: Type.String(), invoices: Type.Integer(), existing: Type.Integer(), heldForReview: Type.Integer() }), ...errors } },
  }, (r) => invoicePeriod(db, r.body.period, { orgId: r.user.orgId, now: new Date(), actor: r }))

  // Meters and tariffs.
  app.get(`${P}/meters`, { config: READ, schema: { ...tags, querystring: s.ListQuery, response: { 200: s.PageOfMeters, ...errors } } }, (r) => catalog.listMeters(db, r.user.orgId, r.query))
  app.post(`${P}/meters`, { config: MANAGE, schema: { ...tags, description: 'Maps a space to a device counter (energy_kwh, a water volume) on one of the organization\'s sites.', body: s.MeterBody, response: { 201: s.MeterView, ...errors } } },
    async (r, reply) => reply.code(201).send(await catalog.createMeter(db, r, r.body)))
  app.delete(`${P}/meters/:id`, { config: MANAGE, schema: { ...tags, params: s.IdParams, response: { 200: Deleted, ...errors } } }, (r) => catalog.deleteMeter(db, r, r.params.id))
  app.get(`${P}/tariffs`, { config: READ, schema: { ...tags, querystring: s.ListQuery, response: { 200: s.PageOfTariffs, ...errors } } }, (r) => catalog.listTariffs(db, r.user.orgId, r.query))
  app.put(`${P}/tariffs`, { config: MANAGE, schema: { ...tags, description: 'Sets a mall\'s price per kWh or m³ (minor units) and tax rate.', body: s.TariffBody, response: { 200: s.TariffView, ...errors } } },
    (r) => catalog.putTariff(db, r, r.body))

  // Occupancy, expirations, reports.
  const sendFile = (reply: import('fastify').FastifyReply, format: 'csv' | 'pdf', name: string, body: string | Buffer) =>
    reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/pdf')
      .header('content-disposition', `attachment; filename="${name}.${format}"`).header('cache-control', 'no-store').send(body)
  app.get(`${P}/occupancy`, {
    config: READ,
    schema: { ...tags, description: 'Occupied and total m² and spaces by zone and by type on a day (default today). format=csv|pdf for a file.', produces: ['application/json', 'text/csv', 'application/pdf'],
      querystring: s.OccupancyQuery, response: { 200: Type.Union([s.OccupancyView, FileBody]), ...errors } },
  }, async (r, reply) => {
    const report = await occupancy(db, r.user.orgId, r.query)
    const format = r.query.format ?? 'json'
    if (format === 'json') return report
    return sendFile(reply, format, `ocupacion-${report.at}`, format === 'csv' ? occupancyCsv(report) : await occupancyPdf(report))
  })
  app.get(`${P}/expirations`, { config: READ, schema: { ...tags, description: 'Leases ending within 30, 60 or 90 days (default 90), soonest first.', querystring: s.ExpirationsQuery, response: { 200: s.PageOfExpirations, ...errors } } },
    (r) => expirations(db, r.user.orgId, r.query))
  app.get(`${P}/reports/rent-income`, {
    config: READ,
    schema: { ...tags, description: 'Charged rent and utilities per period, currency, zone and kind. format=csv|pdf for a file.', produces: ['application/json', 'text/csv', 'application/pdf'],
      querystring: s.ReportQuery, response: { 200: Type.Union([s.RentIncomeView, FileBody]), ...errors } },
  }, async (r, reply) => {
    const report = await rentIncome(db, r.user.orgId, r.query.from, r.query.to)
    const format = r.query.format ?? 'json'
    if (format === 'json') return report
    return sendFile(reply, format, `ingresos-${report.from}-${report.to}`, format === 'csv' ? rentIncomeCsv(report) : await rentIncomePdf(report))
  })

  // Incidents, the mall's side.
  app.get(`${P}/incidents`, { config: READ, schema: { ...tags, description: 'Incidents on the organization\'s leases: reported by tenants (source tenant) or logged by the mall (source mall).', querystring: s.IncidentsQuery, response: { 200: s.PageOfIncidents, ...errors } } },
    (r) => listIncidents(db, 'org_id', r.user.orgId, r.query))
  app.post(`${P}/incidents`, {
    config: MANAGE,
    schema: { ...tags, description: 'Logs an incident on one of the organization\'s leases (and optionally a space of it) as the mall (source mall); the tenant sees it in its portal, and its contact is mailed unless notifyTenant is false.', body: s.MallIncidentBody, response: { 201: s.IncidentView, ...errors } },
  }, async (r, reply) => reply.code(201).send(await logIncident(db, r, r.body)))
  app.patch(`${P}/incidents/:id`, { config: MANAGE, schema: { ...tags, params: s.IdParams, body: s.IncidentPatch, response: { 200: s.IncidentView, ...errors } } },
    (r) => updateIncident(db, r, r.params.id, r.body.status))

  // The tenant portal: a shop's own leases at its malls, and its incidents.
  const portal = { tags: ['portal'], security: [{ user: [] }] }
  app.get('/portal/leases', { config: { permission: 'portal.read' }, schema: { ...portal, description: 'Leases whose tenant is this organization, at any mall on Tendero: spaces and charges, read-only.', querystring: s.ListQuery, response: { 200: s.PageOfPortalLeases, ...errors } } },
    (r) => listPortalLeases(db, r.user.orgId, r.query))
  app.get('/portal/incidents', { config: { permission: 'portal.read' }, schema: { ...portal, description: 'Incidents this organization reported, and those its malls logged on its leases.', querystring: s.IncidentsQuery, response: { 200: s.PageOfIncidents, ...errors } } },
    (r) => listIncidents(db, 'reporter_org_id', r.user.orgId, r.query))
  app.post('/portal/incidents', { config: { permission: 'portal.incidents' }, schema: { ...portal, description: 'Reports an incident on one of this organization\'s leases; the mall\'s admins get a mail.', body: s.IncidentBody, response: { 201: s.IncidentView, ...errors } } },
    async (r, reply) => reply.code(201).send(await reportIncident(db, r, r.body)))
}

export default leasingRoutes

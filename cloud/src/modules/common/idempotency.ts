import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../errors.js'
import type { Db } from '../../plugins/db/database.js'

/**
 * Idempotency keys for POSTs that create money or commands (issue 6): a client retrying
 * with the same `Idempotency-Key` header gets the first answer back, status and body,
 * instead of a second charge or a second command. Keys are per organization and route;
 * the same key with a different body is a client bug and gets 422. A request still
 * running under the key gets 409. Stored in `idempotency_keys` (migration 0007).
 */

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/

export const badIdempotencyKey = (): AppError =>
  new AppError('IDEMPOTENCY_BAD_KEY', 400, 'Idempotency-Key must be 8-128 characters of A-Z a-z 0-9 _ . : -')

export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key']
  if (raw === undefined) return undefined
  const key = Array.isArray(raw) ? raw[0] : raw
  if (key === undefined || !KEY_PATTERN.test(key)) throw badIdempotencyKey()
  return key
}

const hashBody = (body: unknown): string => createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex')

/**
 * Runs `create` once per (org, key, route). Without the header it simply runs. `create`
 * returns the status and body to send; they are stored and replayed for repeats.
 */
export async function withIdempotency(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  orgId: string,
  create: () => Promise<{ status: number; body: unknown }>,
): Promise<unknown> {
  const key = idempotencyKeyOf(request)
  if (key === undefined) {
    const { status, body } = await create()
    return reply.code(status).send(body)
  }
  const route = `${request.method} ${request.routeOptions.url ?? request.url}`
  const requestHash = hashBody({ params: request.params, body: request.body })
  const claimed = await db
    .insertInto('idempotency_keys')
    .values({ org_id: orgId, key, route, request_hash: requestHash })
    .onConflict((oc) => oc.doNothing())
    .returning('key')
    .executeTakeFirst()
  if (!claimed) {
    const previous = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('key', '=', key)
      .where('route', '=', route)
      .executeTakeFirstOrThrow()
    if (previous.request_hash !== requestHash)
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 422, 'This Idempotency-Key was used for a different request')
    if (previous.status_code === null) throw new AppError('IDEMPOTENCY_IN_PROGRESS', 409, 'A request with this Idempotency-Key is still running')
    reply.header('idempotent-replayed', 'true')
    return reply.code(previous.status_code).send(previous.response)
  }
  try {
    const { status, body } = await create()
    await db
      .updateTable('idempotency_keys')
      .set({ status_code: status, response: JSON.stringify(body ?? null) })
      .where('org_id', '=', orgId)
      .where('key', '=', key)
      .where('route', '=', route)
      .execute()
    return reply.code(status).send(body)
  } catch (err) {
    // A failure is not an answer to replay: the client may retry with the same key.
    await db.deleteFrom('idempotency_keys').where('org_id', '=', orgId).where('key', '=', key).where('route', '=', route).execute()
    throw err
  }
}

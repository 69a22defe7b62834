/**
 * Which gateways have their downlink channel open on this cloud process right now
 * (fleet/channel.ts keeps it current). In memory on purpose: after a restart nothing is
 * connected until gateways reconnect, which is exactly what a stored flag would get wrong
 * after a crash. One cloud process serves the channels; several would need a shared store.
 */
export class GatewayPresence {
  readonly #online = new Set<string>()

  isOnline(gatewayId: string): boolean {
    return this.#online.has(gatewayId)
  }

  set(gatewayId: string, online: boolean): void {
    if (online) this.#online.add(gatewayId)
    else this.#online.delete(gatewayId)
  }

  clear(): void {
    this.#online.clear()
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    gatewayPresence: GatewayPresence
  }
}

import { Registry, collectDefaultMetrics } from 'prom-client'

/**
 * Process metrics (CPU, memory, event loop lag, GC) describe the process, not one gateway,
 * and prom-client's collector installs observers that are never removed. So there is one
 * registry per prefix per process, made on the first scrape and shared by every gateway
 * the process holds (one in production, several in tests).
 */
const registries = new Map<string, Registry>()

export function processMetricsText(prefix: string): Promise<string> {
  let registry = registries.get(prefix)
  if (!registry) {
    registry = new Registry()
    collectDefaultMetrics({ register: registry, prefix })
    registries.set(prefix, registry)
  }
  return registry.metrics()
}

import { onBeforeUnmount, reactive } from 'vue'
import { ApiError } from '../../api/client.js'
import { fetchCommand, sendCommand, type CommandIntent, type CommandView } from '../../api/fleet.js'
import { useSessionStore } from '../../stores/session.js'
import { commandOutcome, newIdempotencyKey, type CommandOutcome } from './commands.js'

/** How often a command still on its way is read again. */
export const COMMAND_POLL_MS = 1000

export interface CommandRun {
  deviceId: string
  choiceKey: string
  state: 'sending' | 'error' | CommandOutcome
  command: CommandView | null
  errorCode: string | null
}

/**
 * Sends commands and follows each to its outcome (pending → ok / refused / expired) by
 * reading it every second; one run per device, the latest wins. Each click is one attempt
 * with its own Idempotency-Key. Polling stops with the component.
 */
export function useCommandRunner(gatewayId: () => string) {
  const session = useSessionStore()
  const runs = reactive(new Map<string, CommandRun>())
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  let disposed = false

  function follow(deviceId: string, commandId: string) {
    clearTimeout(timers.get(deviceId))
    timers.set(
      deviceId,
      setTimeout(async () => {
        const run = runs.get(deviceId)
        if (disposed || !run || run.command?.id !== commandId) return
        try {
          const view = await fetchCommand(gatewayId(), commandId)
          if (runs.get(deviceId)?.command?.id !== commandId) return
          run.command = view
          run.state = commandOutcome(view.status)
        } catch {
          // A failed read is retried on the next tick; the outcome is on the server.
        }
        if (run.state === 'pending') follow(deviceId, commandId)
      }, COMMAND_POLL_MS),
    )
  }

  async function send(deviceId: string, choiceKey: string, intent: CommandIntent): Promise<void> {
    const run: CommandRun = { deviceId, choiceKey, state: 'sending', command: null, errorCode: null }
    runs.set(deviceId, run)
    // The reactive copy: a later click on the same device replaces it, and this one is dropped.
    const mine = runs.get(deviceId)!
    const current = () => (runs.get(deviceId) === mine ? mine : undefined)
    try {
      const view = await sendCommand(gatewayId(), deviceId, intent, { idempotencyKey: newIdempotencyKey() })
      const live = current()
      if (!live) return
      live.command = view
      live.state = commandOutcome(view.status)
      if (live.state === 'pending') follow(deviceId, view.id)
    } catch (err) {
      const live = current()
      if (!live) return
      live.state = 'error'
      live.errorCode = err instanceof ApiError ? err.code : 'UNKNOWN'
    }
  }

  onBeforeUnmount(() => {
    disposed = true
    for (const timer of timers.values()) clearTimeout(timer)
  })

  return { runs, send }
}

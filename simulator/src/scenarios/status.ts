import type { ScenarioSnapshot } from './runner.js'

/** Rate of acknowledged messages between two readings of the counter. */
export class MessageRate {
  private last: { sent: number; atMs: number } | undefined
  private rate = 0
  sample(sent: number, atMs: number): number {
    if (this.last && atMs - this.last.atMs >= 500) {
      this.rate = ((sent - this.last.sent) * 1000) / (atMs - this.last.atMs)
      this.last = { sent, atMs }
    } else if (!this.last) this.last = { sent, atMs }
    return this.rate
  }
}

/** The one status line, in Spanish like the rest of the demo UI. */
export function formatScenarioStatus(s: ScenarioSnapshot, messagesPerS: number, speed: number): string {
  return [
    s.scenario,
    `día ${s.day} ${s.clock}`,
    `dispositivos ${s.online}/${s.devices} en línea`,
    `${messagesPerS.toFixed(1)} msg/s`,
    `fallas activas ${s.faultsActive}`,
    `×${speed}`,
  ].join(' · ')
}

export interface Output {
  write(chunk: string): boolean
  isTTY?: boolean
}

/** Redraws the line in place on a terminal; elsewhere prints it at most every `everyMs`. */
export function createScenarioStatus(out: Output, speed: number, everyMs = 5000, now: () => number = Date.now) {
  const rate = new MessageRate()
  let lastPrint = -Infinity
  const line = (s: ScenarioSnapshot) => formatScenarioStatus(s, rate.sample(s.sent, now()), speed)
  return {
    update(s: ScenarioSnapshot): void {
      const text = line(s)
      if (out.isTTY) out.write(`\r\x1b[2K${text}`)
      else if (now() - lastPrint >= everyMs) {
        lastPrint = now()
        out.write(`${text}\n`)
      }
    },
    done(s?: ScenarioSnapshot): void {
      if (out.isTTY) out.write(s ? `\r\x1b[2K${line(s)}\n` : '\n')
      else if (s) out.write(`${line(s)}\n`)
    },
  }
}

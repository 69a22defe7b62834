import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CommandJournal, JOURNAL_GRACE_MS, commandJournalPath } from './command-journal.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const open = () => {
  dir ??= mkdtempSync(join(tmpdir(), 'tendero-journal-'))
  return new CommandJournal(commandJournalPath(dir))
}

describe('cloud command journal', () => {
  it('keeps begun commands and their answers across a reopen', () => {
    const a = open()
    a.begin('c-1', 10_000, 1_000)
    a.begin('c-2', 10_000, 1_000)
    a.answer({ type: 'command.ack', id: 'c-2', ok: true }, 10_000, 1_100)
    a.answer({ type: 'command.ack', id: 'c-3', ok: false, error: 'expired' }, 500, 1_200)
    a.close()

    const b = open()
    expect(b.get('c-1')).toEqual({ ack: null })
    expect(b.get('c-2')).toEqual({ ack: { type: 'command.ack', id: 'c-2', ok: true } })
    expect(b.get('c-3')).toEqual({ ack: { type: 'command.ack', id: 'c-3', ok: false, error: 'expired' } })
    expect(b.get('c-4')).toBeUndefined()
    b.close()
  })

  it('refuses to begin the same command twice', () => {
    const j = open()
    j.begin('c-1', 10_000, 1_000)
    expect(() => j.begin('c-1', 10_000, 1_000)).toThrow(/UNIQUE/)
    j.close()
  })

  it('forgets a command only once it is past its expiry by the grace period', () => {
    const j = open()
    j.answer({ type: 'command.ack', id: 'old', ok: true }, 10_000, 1_000)
    j.begin('new', 20_000, 1_000)
    expect(j.prune(10_000 + JOURNAL_GRACE_MS)).toBe(0)
    expect(j.prune(10_001 + JOURNAL_GRACE_MS)).toBe(1)
    expect(j.get('old')).toBeUndefined()
    expect(j.get('new')).toEqual({ ack: null })
    expect(j.size()).toBe(1)
    j.close()
  })
})

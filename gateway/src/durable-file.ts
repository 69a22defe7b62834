import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Replaces a JSON file atomically: write a temp file, fsync it, rename it over the old
 * one, fsync the directory. After a crash the file holds the old content or the new,
 * never half of either (rules edited on site, the cloud's desired config).
 */
export function writeJsonDurably(path: string, content: unknown): void {
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeFileSync(fd, `${JSON.stringify(content, null, 2)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  const dir = openSync(dirname(path), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}

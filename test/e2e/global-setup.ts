/**
 * Builds the dashboard once for every browser test file of the e2e project (a build costs
 * 10-20 s on two cores), into a temporary directory that the files reach with
 * `inject('dashboardDir')`. Skipped, with an empty path, where there is no Chromium.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    dashboardDir: string
  }
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export default function setup(project: TestProject) {
  if (!existsSync(CHROMIUM)) {
    project.provide('dashboardDir', '')
    return
  }
  const outDir = mkdtempSync(join(tmpdir(), 'tendero-dashboard-'))
  execFileSync(join('node_modules', '.bin', 'vite'), ['build', 'dashboard', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], {
    stdio: 'inherit',
    // Vitest runs with NODE_ENV=test, which would make this a development build (Vue's dev
    // runtime, no service worker): the browser tests use what users get.
    env: { ...process.env, NODE_ENV: 'production' },
  })
  project.provide('dashboardDir', outDir)
  return () => rmSync(outDir, { recursive: true, force: true })
}

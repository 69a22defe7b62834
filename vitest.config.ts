import { defineConfig } from 'vitest/config'

// One runner for the whole monorepo. Each package is a project so a failing package
// is named in the report; `cloud-db` is the shared database suite that `.ci/run`
// reruns against the real PostgreSQL (TEST_DB_DRIVERS=postgres).
export default defineConfig({
  test: {
    // Vitest's default in a run is one worker fewer than the CPUs: one file at a time on
    // these two-core machines, most of it waiting on fsync and child processes. Two workers
    // took the suite from 1506 s to 1113 s on the same machine, with the same results; the
    // timing-heavy day of scenarios still runs alone (its own groupOrder).
    maxWorkers: 2,
    projects: [
      { test: { name: 'protocol', include: ['protocol/**/*.test.ts'] } },
      { test: { name: 'gateway', include: ['gateway/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'simulator', include: ['simulator/**/*.test.ts'], exclude: ['simulator/test/scenario-day.test.ts', '**/node_modules/**'] } },
      // A simulated day of every scenario on real gateway processes (issue 5). Timing matters
      // (a day in three minutes), so it runs on its own, after every other project (groupOrder).
      {
        test: {
          name: 'scenario-day',
          include: ['simulator/test/scenario-day.test.ts'],
          testTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'cloud',
          include: ['cloud/**/*.test.ts'],
          exclude: ['cloud/**/*.db.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      { test: { name: 'cloud-db', include: ['cloud/**/*.db.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Builds the dashboard once for the browser tests (test/e2e/browser-harness.ts).
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
      // Store-and-forward with real processes killed by SIGKILL (issue 4): runs when
      // PostgreSQL is asked for (test/sync/postgres.ts), one file at a time because each
      // drives a cloud, a gateway and 50 simulated devices on the two CPUs.
      {
        test: { name: 'sync', include: ['test/sync/**/*.test.ts'], fileParallelism: false, testTimeout: 240_000, hookTimeout: 60_000 },
      },
      // Issue 9, field tooling: Node-RED nodes (test helper and a real runtime against a real
      // gateway), the firmware's portable C compiled and tested with the system compiler, and
      // the deployment files (compose, appliance install, Grafana dashboards) checked as data.
      { test: { name: 'node-red', include: ['node-red-flows/**/*.test.ts'], exclude: ['**/node_modules/**'], testTimeout: 60_000, hookTimeout: 60_000 } },
      { test: { name: 'firmware', include: ['firmware/test/**/*.test.ts'], testTimeout: 120_000 } },
      { test: { name: 'deploy', include: ['test/deploy/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      'dashboard/vite.config.ts',
    ],
  },
})

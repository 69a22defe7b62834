// Adds up Vitest JSON reports into the one closing line CI reads, and with CI=true
// fails when a PostgreSQL run (every report after the first) skipped or ran nothing.
import { existsSync, readFileSync } from 'node:fs'

const runs = process.argv.slice(2).map((arg) => {
  const at = arg.lastIndexOf(':')
  return { file: arg.slice(0, at), rc: Number(arg.slice(at + 1)) }
})
const files = runs.map((r) => r.file)
let passed = 0
let failed = 0
let skipped = 0
let ok = true

for (const { file, rc } of runs) {
  if (!existsSync(file)) {
    console.error(`missing test report ${file}: that run did not finish (exit code ${rc})`)
    failed += 1
    continue
  }
  const report = JSON.parse(readFileSync(file, 'utf8'))
  passed += report.numPassedTests
  let runFailed = report.numFailedTests
  // A suite that fails to load counts its file, not its tests: count it as a failure.
  runFailed += report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length
  if (rc !== 0 && runFailed === 0) {
    console.error(`${file}: the run exited with ${rc} though no test failed (unhandled errors?)`)
    runFailed = 1
  }
  failed += runFailed
  skipped += report.numPendingTests + report.numTodoTests
}

// Every report after the first is a PostgreSQL run (the database suite, the
// store-and-forward tests): under CI it must run, not skip.
for (const postgres of process.env.CI === 'true' ? files.slice(1) : []) {
  if (!existsSync(postgres)) continue
  const report = JSON.parse(readFileSync(postgres, 'utf8'))
  if (report.numPassedTests === 0 || report.numPendingTests > 0) {
    console.error(`CI=true: a PostgreSQL run was skipped, ${postgres} (${report.numPassedTests} passed, ${report.numPendingTests} skipped)`)
    ok = false
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(ok && failed === 0 ? 0 : 1)

/**
 * The part of the rules engine the cloud shares with the gateway (`@tendero/gateway/rules`):
 * the rule schema, the validator that names each problem's field, and the dry run over
 * recorded events. Pure modules only: nothing here opens a file, a socket or a database,
 * so the cloud can import it without the gateway's runtime.
 */
export { explainRule, type RuleSpec } from './registry.js'
export { dryRun, type DryRunOptions, type DryRunTransition } from './dry-run.js'

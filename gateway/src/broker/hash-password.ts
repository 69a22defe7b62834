/**
 * `npm run -w @tendero/gateway hash-password -- <password>` prints the scrypt hash to
 * paste into a device's `passwordHash` in the site config.
 */
import { hashPassword } from './passwords.js'

const password = process.argv[2]
if (!password) {
  process.stderr.write('usage: npm run -w @tendero/gateway hash-password -- <password>\n')
  process.exit(2)
}
process.stdout.write(`${await hashPassword(password)}\n`)

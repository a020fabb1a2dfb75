// Usage: node read_vite.mjs PACKAGE DIR -> JSON of loadEnv('mpvault', DIR) (VITE_ keys) from the
// Vite installed as PACKAGE (`vite` is Vite 5, `vite-8` the current Vite), and its version.
import { createRequire } from 'node:module'

const [pkg, dir] = process.argv.slice(2)
const { loadEnv } = await import(pkg)
const { version } = createRequire(import.meta.url)(`${pkg}/package.json`)
process.stdout.write(JSON.stringify({ version, env: loadEnv('mpvault', dir) }))

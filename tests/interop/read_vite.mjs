// Usage: node read_vite.mjs PACKAGE DIR [MODE] -> JSON of loadEnv(MODE, DIR) (VITE_ keys; MODE
// defaults to 'mpvault') from the Vite installed as PACKAGE (`vite` is Vite 5, `vite-8` the
// current Vite), and its version.
import { createRequire } from 'node:module'

const [pkg, dir, mode = 'mpvault'] = process.argv.slice(2)
const { loadEnv } = await import(pkg)
const { version } = createRequire(import.meta.url)(`${pkg}/package.json`)
process.stdout.write(JSON.stringify({ version, env: loadEnv(mode, dir) }))

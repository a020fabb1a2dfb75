// Usage: node read_vite.mjs DIR   -> JSON of Vite 5 loadEnv('mpvault', DIR) (VITE_ keys)
import { loadEnv } from 'vite'

process.stdout.write(JSON.stringify(loadEnv('mpvault', process.argv[2])))

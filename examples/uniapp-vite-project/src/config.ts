// Values from .env.development or .env.production, which `npm run env:development` and
// `npm run env:production` write with `mpvault export shop --preset vite --mode <mode>`.
// Vite replaces every import.meta.env.VITE_* at build time, so these strings end up in the
// shipped package: only public config carries that prefix, and mpvault never gives it to a
// secret.

/** `mpvault config set shop API_BASE=… --mode development|production` becomes VITE_API_BASE. */
export const API_BASE = import.meta.env.VITE_API_BASE as string

/** Set only in development (`mpvault config set shop DEBUG=1 --mode development`). */
export const DEBUG = import.meta.env.VITE_DEBUG === '1'

/** The same in every mode (`mpvault config set shop CDN=…`, no --mode). */
export const CDN = import.meta.env.VITE_CDN as string

// Values from .env.production, which `npm run env` writes with
// `mpvault export shop --preset taro`. Taro replaces every process.env.TARO_APP_* at build time,
// so these strings end up in the shipped package: only public values carry that prefix, and
// mpvault never gives it to a secret.

/** The AppID (mpvault writes it as TARO_APP_ID; Taro also puts it into dist/project.config.json). */
export const APP_ID = process.env.TARO_APP_ID as string

/** `mpvault config set shop API_BASE=https://api.example.com` becomes TARO_APP_API_BASE. */
export const API_BASE = process.env.TARO_APP_API_BASE as string

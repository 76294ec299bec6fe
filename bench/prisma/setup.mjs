// Generate the Prisma client for schema.prisma, offline.
//
//     npm ci --prefix bench/prisma && node bench/prisma/setup.mjs
//
// `prisma generate` needs no engine binary in Prisma 7 (the query compiler is WASM,
// shipped inside the generated client), but the CLI still looks for the schema
// engine at start-up and, not finding it, downloads it from binaries.prisma.sh,
// which fails without internet. Only migrate and db pull run the schema engine, so
// a stub executable that refuses to run is enough: PRISMA_SCHEMA_ENGINE_BINARY points
// at it (with 7.10.1 that alone made generate work offline). The other variables are
// belt and braces: no checksum check of engines that are not there, no calling home
// (update check, telemetry).
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const prismaCli = join(here, 'node_modules', 'prisma', 'build', 'index.js')
if (!existsSync(prismaCli)) {
  console.error(`error: ${prismaCli} is missing; install first: npm ci --prefix bench/prisma`)
  process.exit(2)
}

const stubDir = join(here, '.offline')
const stub = join(stubDir, 'schema-engine-stub')
mkdirSync(stubDir, { recursive: true })
writeFileSync(
  stub,
  '#!/bin/sh\necho "schema-engine stub (bench/prisma/setup.mjs): migrate and db pull are not available offline" >&2\nexit 1\n',
)
chmodSync(stub, 0o755)

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: stub,
  PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
}
const done = spawnSync(
  process.execPath,
  [prismaCli, 'generate', '--schema', join(here, 'schema.prisma')],
  { cwd: here, env, stdio: ['ignore', 'inherit', 'inherit'] },
)
if (done.status !== 0) {
  console.error(`error: prisma generate exited with ${done.status ?? done.signal}`)
  process.exit(1)
}

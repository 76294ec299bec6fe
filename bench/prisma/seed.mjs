// The client's own seed, as SEED_IDEMPOTENCY_STRATEGY.md (sections 2, 7 and 11)
// describes it, on the rows of a seedctl log:
//
//     node bench/prisma/seed.mjs --log okr-demo.log --database-url postgresql://...
//
// - one `prisma.<model>.upsert({ where: { id }, create, update })` per row, each
//   awaited before the next, in the log's order (parents before children);
// - an objective with its key results, their objective links and its initiatives in
//   one `prisma.$transaction([...])` (spec section 11: "Objective + KRs + Initiatives
//   wrapped in prisma.$transaction()"), placed where the objective is in the log;
// - the rows walked in chunks of 1000 (spec section 7), an objective's group never
//   split across two chunks.
//
// `update` is every column but the id, the natural key (`conflict`) and the
// insert-only columns (`insert_only`: the spec's "preserve passwordHash if exists");
// role assignments get `update: {}` as in the spec. Values are converted by the
// Prisma field type: DateTime columns get a Date (date and timestamptz alike),
// Decimal columns the decimal string, the rest as they are in the log.
//
// Prisma 7 with the pg driver adapter and the WASM query compiler (its default with
// an adapter; no query engine binary). Needs the generated client: node setup.mjs.
// Prints one JSON object on stdout: rows, seconds of the loop, statements sent.
import { createReadStream } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

import { PrismaPg } from '@prisma/adapter-pg'
import { Prisma, PrismaClient } from '@prisma/client'
import pg from 'pg'

const CHUNK_ROWS = 1000
const GROUP_PARENT = 'objectives'
const GROUP_CHILDREN = new Set(['key_results', 'objective_key_results', 'initiatives'])
const GROUP_KEY = 'objective_id'

function parse() {
  const { values } = parseArgs({
    options: {
      log: { type: 'string' },
      'database-url': { type: 'string' },
      chunk: { type: 'string', default: String(CHUNK_ROWS) },
      trace: { type: 'string', default: '0' },
    },
  })
  if (!values.log || !values['database-url']) {
    console.error('usage: node seed.mjs --log PATH --database-url URL [--chunk 1000] [--trace N]')
    process.exit(2)
  }
  return {
    log: values.log,
    url: values['database-url'],
    chunk: Number(values.chunk),
    trace: Number(values.trace),
  }
}

// Every statement the pg driver sends, BEGIN and COMMIT included, counted by its
// first word; the first `trace` ones are printed on stderr.
const sent = { total: 0, kinds: {}, traced: 0 }
function countStatements(trace) {
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function countedQuery(config, ...rest) {
    const text = typeof config === 'string' ? config : (config?.text ?? '')
    const kind = text.trimStart().split(/\s/, 1)[0].toUpperCase() || '?'
    sent.total += 1
    sent.kinds[kind] = (sent.kinds[kind] ?? 0) + 1
    if (sent.traced < trace) {
      sent.traced += 1
      console.error(`sql ${sent.traced}: ${text}`)
    }
    return query.call(this, config, ...rest)
  }
}

/** Per table: the Prisma model (client property) and each column's field name and type. */
function modelsByTable() {
  const byTable = new Map()
  for (const model of Prisma.dmmf.datamodel.models) {
    const columns = new Map()
    for (const field of model.fields) {
      if (field.kind === 'scalar' || field.kind === 'enum') {
        columns.set(field.dbName ?? field.name, { name: field.name, type: field.type })
      }
    }
    const delegate = model.name[0].toLowerCase() + model.name.slice(1)
    byTable.set(model.dbName ?? model.name, { delegate, columns })
  }
  return byTable
}

function convert(value, type) {
  if (value === null) return null
  if (type === 'DateTime') return new Date(value) // '2025-10-01' is UTC midnight: that date
  return value // String, Int, Boolean, Decimal (as its string), Json
}

/** One row's Prisma upsert arguments: `{ where: { id }, create, update }`. */
function upsertArgs(command, model) {
  const create = {}
  const update = {}
  const fixed = new Set([...command.conflict, ...command.insert_only, 'id'])
  for (const [column, value] of Object.entries(command.values)) {
    const field = model.columns.get(column)
    if (field === undefined) {
      throw new Error(`${command.table}.${column} has no field in schema.prisma`)
    }
    const converted = convert(value, field.type)
    create[field.name] = converted
    if (!fixed.has(column)) update[field.name] = converted
  }
  return { where: { id: command.id }, create, update }
}

/** The log's upserts in order; one command per row (a fresh, one-generation log). */
async function readCommands(path) {
  const commands = []
  const seen = new Set()
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  let lineNo = 0
  for await (const line of lines) {
    lineNo += 1
    if (lineNo === 1) continue // the header
    const record = JSON.parse(line)
    if (record.op === 'generation') continue
    if (record.op !== 'upsert' || record.values_from !== undefined) {
      throw new Error(`line ${lineNo}: only plain upserts are supported (op ${record.op})`)
    }
    const key = `${record.table}:${record.id}`
    if (seen.has(key)) {
      throw new Error(`line ${lineNo}: a second command for ${key}; use a fresh log`)
    }
    seen.add(key)
    commands.push(record)
  }
  return commands
}

/** Units of work in log order: a single row, or an objective and its children. */
function units(commands) {
  const out = []
  const groups = new Map()
  for (const command of commands) {
    if (command.table === GROUP_PARENT) {
      const group = [command]
      groups.set(command.id, group)
      out.push(group)
    } else if (GROUP_CHILDREN.has(command.table) && groups.has(command.values[GROUP_KEY])) {
      groups.get(command.values[GROUP_KEY]).push(command)
    } else {
      out.push([command])
    }
  }
  return out
}

/** Consecutive units of at most `size` rows (a larger group makes a chunk alone). */
function chunks(allUnits, size) {
  const out = []
  let current = []
  let rows = 0
  for (const unit of allUnits) {
    if (rows > 0 && rows + unit.length > size) {
      out.push(current)
      current = []
      rows = 0
    }
    current.push(unit)
    rows += unit.length
  }
  if (current.length > 0) out.push(current)
  return out
}

async function main() {
  const args = parse()
  countStatements(args.trace)
  const started = performance.now()
  const commands = await readCommands(args.log)
  const byTable = modelsByTable()
  const planned = chunks(units(commands), args.chunk)
  const readS = (performance.now() - started) / 1000

  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: args.url }) })
  const connectStarted = performance.now()
  await prisma.$connect()
  const connectS = (performance.now() - connectStarted) / 1000

  const perTable = {}
  let transactions = 0
  const upsert = (command) => {
    const model = byTable.get(command.table)
    if (model === undefined) throw new Error(`table ${command.table} has no model`)
    perTable[command.table] = (perTable[command.table] ?? 0) + 1
    return prisma[model.delegate].upsert(upsertArgs(command, model))
  }
  const loopStarted = performance.now()
  for (const chunk of planned) {
    for (const unit of chunk) {
      if (unit.length === 1 && unit[0].table !== GROUP_PARENT) {
        await upsert(unit[0])
      } else {
        await prisma.$transaction(unit.map(upsert))
        transactions += 1
      }
    }
  }
  const loopS = (performance.now() - loopStarted) / 1000
  await prisma.$disconnect()

  const rows = Object.values(perTable).reduce((a, b) => a + b, 0)
  const result = {
    rows,
    seconds: loopS,
    read_s: readS,
    connect_s: connectS,
    process_s: performance.now() / 1000,
    chunks: planned.length,
    transactions,
    statements: sent.total,
    statement_kinds: sent.kinds,
    tables: perTable,
    prisma: Prisma.prismaVersion.client,
    node: process.version,
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((error) => {
  console.error(`error: ${error?.stack ?? error}`)
  process.exit(1)
})

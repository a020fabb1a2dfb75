'use strict'
// Every dotenv parser + dotenv-expand pair that Taro and Vite use, as installed here:
//   node read_expand.js FILE            -> {"readers": [labels], "read": {label: parsed object}}
//   node read_expand.js DOCS --docs     -> DOCS is a JSON array of file texts; prints an array
//                                          of {label: parsed object}, null where a reader throws
//   node read_expand.js CASES --prove   -> CASES is a JSON array of {value, candidates}; for each
//     case prints {all, alone}: whether some spelling of some candidate text reads back, with
//     the values around it intact, with every reader (all) / with each reader alone (alone).
const fs = require('fs')
const path = require('path')
const util = require('util')

const here = (p) => path.join(__dirname, 'node_modules', p)
const version = (p) => JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8')).version
// dotenv-expand 13 is paired with the dotenv it depends on
const dotenv13Dir = fs.existsSync(here('dotenv-expand-13/node_modules/dotenv'))
  ? here('dotenv-expand-13/node_modules/dotenv')
  : here('dotenv-17')

const parsers = {
  dotenv16: [`dotenv ${version(here('dotenv'))}`, require(here('dotenv')).parse],
  dotenv17: [`dotenv ${version(here('dotenv-17'))}`, require(here('dotenv-17')).parse],
  dotenv13: [`dotenv ${version(dotenv13Dir)}`, require(dotenv13Dir).parse],
  node: [`Node ${process.versions.node} util.parseEnv`, (src) => util.parseEnv(src.toString())]
}
const expanders = {
  e11: [`dotenv-expand ${version(here('dotenv-expand'))}`, require(here('dotenv-expand')).expand],
  e12: [`dotenv-expand ${version(here('dotenv-expand-12'))}`, require(here('dotenv-expand-12')).expand],
  e13: [`dotenv-expand ${version(here('dotenv-expand-13'))}`, require(here('dotenv-expand-13')).expand]
}
// Taro (dotenv 16 + 11), Vite 6 (dotenv 16 + 12), Vite 7 (dotenv 17 + 12), dotenv-expand 13 with
// its own dotenv, and the parts Vite 8 bundles (Node's parser + dotenv-expand 13).
const PAIRS = [['dotenv16', 'e11'], ['dotenv16', 'e12'], ['dotenv17', 'e12'], ['dotenv13', 'e13'], ['node', 'e13']]
const READERS = PAIRS.map(([p, e]) => {
  const [pl, parse] = parsers[p]
  const [el, expand] = expanders[e]
  // empty processEnv: the machine's environment must not interfere
  return [`${pl} + ${el}`, (src) => expand({ parsed: parse(src), processEnv: {} }).parsed]
})

const [file, flag] = process.argv.slice(2)

function readAll (src) {
  const read = {}
  for (const [label, reader] of READERS) read[label] = reader(src)
  return read
}

// What may follow a value in a file mpvault writes (a value must survive whatever follows it).
const CONTEXTS = [
  "Z1='1'\nZ2=\"2\"\nZ3=`3`\n",
  "Z1='\n1'\nZ2=\"2\"\nZ3=`3`\n",
  "Z1='1'\nZ2=\"\n2\"\nZ3=`3`\n",
  "Z1='1'\nZ2=\"2\"\nZ3=`\n3`\n"
]

// Every quoting form of dotenv and Node's parser for the text t.
function forms (t) {
  const cr = t.replace(/\r/g, '\\r')
  return [t, `'${t}'`, `"${t}"`, `\`${t}\``, `"${cr}"`, `"${cr.replace(/\n/g, '\\n')}"`]
}

function works (reader, doc, value) {
  let r
  try { r = reader(doc) } catch (e) { return false }
  return r.VITE_T === value && ['1', '2', '3'].every((n) => (r[`Z${n}`] || '').endsWith(n))
}

function prove ({ value, candidates }) {
  const alone = READERS.map(() => false)
  let all = false
  for (const t of candidates) {
    for (const f of forms(t)) {
      const docs = CONTEXTS.map((c) => `# header\nVITE_T=${f}\n${c}`)
      const ok = READERS.map(([, reader], i) => docs.every((d) => works(reader, d, value)))
      ok.forEach((w, i) => { alone[i] = alone[i] || w })
      all = all || ok.every(Boolean)
    }
  }
  return { all, alone }
}

let out
if (flag === '--docs') {
  out = JSON.parse(fs.readFileSync(file, 'utf8')).map((doc) => {
    const read = {}
    for (const [label, reader] of READERS) {
      try { read[label] = reader(Buffer.from(doc, 'utf8')) } catch (e) { read[label] = null }
    }
    return read
  })
} else if (flag === '--prove') {
  out = JSON.parse(fs.readFileSync(file, 'utf8')).map(prove)
} else {
  out = { readers: READERS.map(([l]) => l), read: readAll(fs.readFileSync(file)) }
}
process.stdout.write(JSON.stringify(out))

'use strict'
// Usage: node read_node.js (node|expand) FILE          -> JSON object of FILE
//        node read_node.js (node|expand) DOCS --docs   -> DOCS is a JSON array of
//                                                         file texts; prints a JSON array
const fs = require('fs')
const path = require('path')
const dotenv = require(path.join(__dirname, 'node_modules', 'dotenv'))
const { expand } = require(path.join(__dirname, 'node_modules', 'dotenv-expand'))

const [mode, file, flag] = process.argv.slice(2)

function read (src) {
  const parsed = dotenv.parse(src)
  if (mode === 'expand') {
    // empty processEnv: the machine's environment must not interfere
    return expand({ parsed, processEnv: {} }).parsed
  }
  if (mode !== 'node') throw new Error('mode must be node or expand')
  return parsed
}

let out
if (flag === '--docs') {
  out = JSON.parse(fs.readFileSync(file, 'utf8')).map((doc) => read(Buffer.from(doc, 'utf8')))
} else {
  out = read(fs.readFileSync(file))
}
process.stdout.write(JSON.stringify(out))

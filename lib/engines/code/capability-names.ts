/**
 * Which capability a resolved name uses, per language, as data. Names are the analysers'
 * qualified names (`child_process.spawn`, `fs.writeFileSync`, `os.system`, `builtins.open`): a
 * whole module maps by its prefix, a single function by its full name. File operations name the
 * argument that holds the path (for the reach of the path, see capabilities.ts).
 */
import type { Capability } from './capabilities.js'

export interface NameCapability {
  capability: Capability
  /** For a file operation: which positional argument is the path that matters (destination for copies). */
  pathArg?: number
}

/** Modules every member of which uses one capability. */
const JS_MODULES: Readonly<Record<string, Capability>> = {
  child_process: 'process',
  cluster: 'process',
  execa: 'process',
  'cross-spawn': 'process',
  'node-pty': 'process',
  shelljs: 'process',
  zx: 'process',
  vm: 'code',
  vm2: 'code',
  inspector: 'debug',
  'inspector/promises': 'debug',
  repl: 'debug',
  'ffi-napi': 'native',
  ffi: 'native',
  koffi: 'native',
  bindings: 'native',
  'node-serialize': 'deserialize',
  'serialize-to-js': 'deserialize',
  funcster: 'deserialize',
  net: 'net',
  tls: 'net',
  dgram: 'net',
  http2: 'net',
  axios: 'net',
  got: 'net',
  'node-fetch': 'net',
  undici: 'net',
  superagent: 'net',
  request: 'net',
  needle: 'net',
  ky: 'net',
  ws: 'net',
  'socket.io-client': 'net',
  nodemailer: 'net'
}

const JS_NAMES: Readonly<Record<string, NameCapability>> = {
  fetch: { capability: 'net' },
  XMLHttpRequest: { capability: 'net' },
  WebSocket: { capability: 'net' },
  EventSource: { capability: 'net' },
  'navigator.sendBeacon': { capability: 'net' },
  'http.request': { capability: 'net' },
  'http.get': { capability: 'net' },
  'https.request': { capability: 'net' },
  'https.get': { capability: 'net' },
  'process.binding': { capability: 'native' },
  'process._linkedBinding': { capability: 'native' },
  'process.dlopen': { capability: 'native' },
  'process._debugProcess': { capability: 'debug' },
  'process.openStdin': { capability: 'debug' },
  'v8.setFlagsFromString': { capability: 'debug' },
  'WebAssembly.instantiate': { capability: 'native' },
  'WebAssembly.compile': { capability: 'native' },
  'WebAssembly.Module': { capability: 'native' },
  'Bun.spawn': { capability: 'process' },
  'Bun.spawnSync': { capability: 'process' },
  'Deno.run': { capability: 'process' },
  'Deno.Command': { capability: 'process' },
  importScripts: { capability: 'code' },
  'fs.readFile': { capability: 'fs.read', pathArg: 0 },
  'fs.readFileSync': { capability: 'fs.read', pathArg: 0 },
  'fs.createReadStream': { capability: 'fs.read', pathArg: 0 },
  'fs.readdir': { capability: 'fs.read', pathArg: 0 },
  'fs.readdirSync': { capability: 'fs.read', pathArg: 0 },
  'fs.open': { capability: 'fs.read', pathArg: 0 },
  'fs.openSync': { capability: 'fs.read', pathArg: 0 },
  'fs.opendir': { capability: 'fs.read', pathArg: 0 },
  'fs.readlink': { capability: 'fs.read', pathArg: 0 },
  'fs-extra.readJson': { capability: 'fs.read', pathArg: 0 },
  'fs-extra.readJsonSync': { capability: 'fs.read', pathArg: 0 },
  'fs.writeFile': { capability: 'fs.write', pathArg: 0 },
  'fs.writeFileSync': { capability: 'fs.write', pathArg: 0 },
  'fs.appendFile': { capability: 'fs.write', pathArg: 0 },
  'fs.appendFileSync': { capability: 'fs.write', pathArg: 0 },
  'fs.createWriteStream': { capability: 'fs.write', pathArg: 0 },
  'fs.copyFile': { capability: 'fs.write', pathArg: 1 },
  'fs.copyFileSync': { capability: 'fs.write', pathArg: 1 },
  'fs.cp': { capability: 'fs.write', pathArg: 1 },
  'fs.cpSync': { capability: 'fs.write', pathArg: 1 },
  'fs.rename': { capability: 'fs.write', pathArg: 1 },
  'fs.renameSync': { capability: 'fs.write', pathArg: 1 },
  'fs.mkdir': { capability: 'fs.write', pathArg: 0 },
  'fs.mkdirSync': { capability: 'fs.write', pathArg: 0 },
  'fs.symlink': { capability: 'fs.write', pathArg: 1 },
  'fs.symlinkSync': { capability: 'fs.write', pathArg: 1 },
  'fs.link': { capability: 'fs.write', pathArg: 1 },
  'fs.linkSync': { capability: 'fs.write', pathArg: 1 },
  'fs.chmod': { capability: 'fs.write', pathArg: 0 },
  'fs.chmodSync': { capability: 'fs.write', pathArg: 0 },
  'fs.chown': { capability: 'fs.write', pathArg: 0 },
  'fs.chownSync': { capability: 'fs.write', pathArg: 0 },
  'fs.truncate': { capability: 'fs.write', pathArg: 0 },
  'fs.truncateSync': { capability: 'fs.write', pathArg: 0 },
  'fs-extra.outputFile': { capability: 'fs.write', pathArg: 0 },
  'fs-extra.outputFileSync': { capability: 'fs.write', pathArg: 0 },
  'fs-extra.writeJson': { capability: 'fs.write', pathArg: 0 },
  'fs-extra.writeJsonSync': { capability: 'fs.write', pathArg: 0 },
  'fs-extra.outputJson': { capability: 'fs.write', pathArg: 0 },
  'fs-extra.copy': { capability: 'fs.write', pathArg: 1 },
  'fs-extra.copySync': { capability: 'fs.write', pathArg: 1 },
  'fs-extra.move': { capability: 'fs.write', pathArg: 1 },
  'fs-extra.moveSync': { capability: 'fs.write', pathArg: 1 },
  'fs-extra.ensureDir': { capability: 'fs.write', pathArg: 0 },
  'fs-extra.ensureFile': { capability: 'fs.write', pathArg: 0 },
  'fs.rm': { capability: 'fs.delete', pathArg: 0 },
  'fs.rmSync': { capability: 'fs.delete', pathArg: 0 },
  'fs.rmdir': { capability: 'fs.delete', pathArg: 0 },
  'fs.rmdirSync': { capability: 'fs.delete', pathArg: 0 },
  'fs.unlink': { capability: 'fs.delete', pathArg: 0 },
  'fs.unlinkSync': { capability: 'fs.delete', pathArg: 0 },
  'fs-extra.remove': { capability: 'fs.delete', pathArg: 0 },
  'fs-extra.removeSync': { capability: 'fs.delete', pathArg: 0 },
  'fs-extra.emptyDir': { capability: 'fs.delete', pathArg: 0 },
  'fs-extra.emptyDirSync': { capability: 'fs.delete', pathArg: 0 },
  rimraf: { capability: 'fs.delete', pathArg: 0 },
  'rimraf.sync': { capability: 'fs.delete', pathArg: 0 },
  'rimraf.rimraf': { capability: 'fs.delete', pathArg: 0 },
  'rimraf.rimrafSync': { capability: 'fs.delete', pathArg: 0 },
  del: { capability: 'fs.delete', pathArg: 0 },
  'del.deleteAsync': { capability: 'fs.delete', pathArg: 0 },
  'del.deleteSync': { capability: 'fs.delete', pathArg: 0 },
  'tar.x': { capability: 'fs.write' },
  'tar.extract': { capability: 'fs.write' }
}

/** The capability a JavaScript qualified name uses, or null. */
export function jsCapabilityOf (q: string): NameCapability | null {
  const exact = Object.hasOwn(JS_NAMES, q) ? JS_NAMES[q] : undefined
  if (exact !== undefined) return exact
  const dot = q.indexOf('.')
  const root = dot < 0 ? q : q.slice(0, dot)
  // `http` / `https` servers are inbound; only their client calls are egress (JS_NAMES).
  if (Object.hasOwn(JS_MODULES, root)) return { capability: JS_MODULES[root] as Capability }
  return null
}

/** Python modules every member of which uses one capability. */
const PY_MODULES: Readonly<Record<string, Capability>> = {
  subprocess: 'process',
  pty: 'process',
  commands: 'process',
  pexpect: 'process',
  sh: 'process',
  plumbum: 'process',
  _posixsubprocess: 'native',
  ctypes: 'native',
  _ctypes: 'native',
  cffi: 'native',
  _cffi_backend: 'native',
  pdb: 'debug',
  ipdb: 'debug',
  pudb: 'debug',
  rpdb: 'debug',
  debugpy: 'debug',
  pydevd: 'debug',
  pickle: 'deserialize',
  cPickle: 'deserialize',
  _pickle: 'deserialize',
  dill: 'deserialize',
  cloudpickle: 'deserialize',
  marshal: 'deserialize',
  shelve: 'deserialize',
  jsonpickle: 'deserialize',
  requests: 'net',
  httpx: 'net',
  aiohttp: 'net',
  urllib3: 'net',
  socket: 'net',
  smtplib: 'net',
  ftplib: 'net',
  telnetlib: 'net',
  paramiko: 'net',
  websocket: 'net',
  websockets: 'net',
  runpy: 'code',
  code: 'code',
  codeop: 'code'
}

const PY_NAMES: Readonly<Record<string, NameCapability>> = {
  'os.system': { capability: 'process' },
  'os.popen': { capability: 'process' },
  'os.fork': { capability: 'process' },
  'os.forkpty': { capability: 'process' },
  'os.startfile': { capability: 'process' },
  'platform.popen': { capability: 'process' },
  'asyncio.create_subprocess_shell': { capability: 'process' },
  'asyncio.create_subprocess_exec': { capability: 'process' },
  'multiprocessing.util.spawnv_passfds': { capability: 'process' },
  'builtins.breakpoint': { capability: 'debug' },
  'sys.settrace': { capability: 'debug' },
  'sys.setprofile': { capability: 'debug' },
  'IPython.embed': { capability: 'debug' },
  'gc.get_objects': { capability: 'code' },
  'gc.get_referrers': { capability: 'code' },
  'gc.get_referents': { capability: 'code' },
  'sys._getframe': { capability: 'code' },
  'inspect.currentframe': { capability: 'code' },
  'pandas.read_pickle': { capability: 'deserialize' },
  'joblib.load': { capability: 'deserialize' },
  'sklearn.externals.joblib.load': { capability: 'deserialize' },
  'os.environ': { capability: 'env' },
  'os.getenv': { capability: 'env' },
  'os.environb': { capability: 'env' },
  'urllib.request.urlopen': { capability: 'net' },
  'urllib.request.Request': { capability: 'net' },
  'urllib.request.urlretrieve': { capability: 'net' },
  'urllib.urlopen': { capability: 'net' },
  'http.client.HTTPConnection': { capability: 'net' },
  'http.client.HTTPSConnection': { capability: 'net' },
  'os.remove': { capability: 'fs.delete', pathArg: 0 },
  'os.unlink': { capability: 'fs.delete', pathArg: 0 },
  'os.rmdir': { capability: 'fs.delete', pathArg: 0 },
  'os.removedirs': { capability: 'fs.delete', pathArg: 0 },
  'shutil.rmtree': { capability: 'fs.delete', pathArg: 0 },
  'os.rename': { capability: 'fs.write', pathArg: 1 },
  'os.replace': { capability: 'fs.write', pathArg: 1 },
  'os.chmod': { capability: 'fs.write', pathArg: 0 },
  'os.chown': { capability: 'fs.write', pathArg: 0 },
  'os.symlink': { capability: 'fs.write', pathArg: 1 },
  'os.link': { capability: 'fs.write', pathArg: 1 },
  'os.mkdir': { capability: 'fs.write', pathArg: 0 },
  'os.makedirs': { capability: 'fs.write', pathArg: 0 },
  'os.truncate': { capability: 'fs.write', pathArg: 0 },
  'shutil.copy': { capability: 'fs.write', pathArg: 1 },
  'shutil.copy2': { capability: 'fs.write', pathArg: 1 },
  'shutil.copyfile': { capability: 'fs.write', pathArg: 1 },
  'shutil.copytree': { capability: 'fs.write', pathArg: 1 },
  'shutil.move': { capability: 'fs.write', pathArg: 1 },
  'shutil.chown': { capability: 'fs.write', pathArg: 0 },
  'shutil.unpack_archive': { capability: 'fs.write', pathArg: 1 },
  'os.listdir': { capability: 'fs.read', pathArg: 0 },
  'os.scandir': { capability: 'fs.read', pathArg: 0 },
  'os.walk': { capability: 'fs.read', pathArg: 0 },
  'glob.glob': { capability: 'fs.read', pathArg: 0 },
  'pandas.read_csv': { capability: 'fs.read', pathArg: 0 },
  'pandas.read_json': { capability: 'fs.read', pathArg: 0 },
  'pandas.read_excel': { capability: 'fs.read', pathArg: 0 },
  'pandas.read_parquet': { capability: 'fs.read', pathArg: 0 }
}

/** The capability a Python qualified name uses (ALWAYS_SHELL and the other name rules stay in python.ts), or null. */
export function pyCapabilityOf (q: string): NameCapability | null {
  const exact = Object.hasOwn(PY_NAMES, q) ? PY_NAMES[q] : undefined
  if (exact !== undefined) return exact
  if (/^os\.(exec|spawn|posix_spawn)/.test(q)) return { capability: 'process' }
  const dot = q.indexOf('.')
  const root = dot < 0 ? q : q.slice(0, dot)
  if (dot > 0 && Object.hasOwn(PY_MODULES, root)) {
    // ctypes data types and sizes describe memory; they load nothing
    if (root === 'ctypes' && /^ctypes\.(c_[a-z0-9_]+|sizeof|alignment|Structure|Union|BigEndianStructure|LittleEndianStructure|Array|POINTER|util\.find_library)$/.test(q)) return null
    return { capability: PY_MODULES[root] as Capability }
  }
  return null
}

/** Method names that use a capability on whatever object they are called (`loop.subprocess_shell`, `session.get`). */
export const PY_METHODS: Readonly<Record<string, Capability>> = {
  subprocess_shell: 'process',
  subprocess_exec: 'process',
  load_module: 'code',
  exec_module: 'code',
  create_module: 'code',
  set_trace: 'debug',
  post_mortem: 'debug'
}

/** Calls whose argument at the given index is a key: a literal there is a hard-coded secret (`secret`). */
export const KEY_ARGUMENTS: Readonly<Record<string, number>> = {
  // JavaScript
  'jsonwebtoken.sign': 1,
  'jsonwebtoken.verify': 1,
  'crypto.createHmac': 1,
  'crypto.createCipheriv': 1,
  'crypto.createDecipheriv': 1,
  'cookie-parser': 0,
  // Python
  'cryptography.fernet.Fernet': 0,
  'cryptography.hazmat.primitives.ciphers.aead.AESGCM': 0,
  'cryptography.hazmat.primitives.ciphers.aead.ChaCha20Poly1305': 0,
  'cryptography.hazmat.primitives.ciphers.aead.AESCCM': 0,
  'hmac.new': 0,
  'jwt.encode': 1,
  'jwt.decode': 1,
  'Crypto.Cipher.AES.new': 0,
  'itsdangerous.URLSafeTimedSerializer': 0,
  'itsdangerous.URLSafeSerializer': 0,
  'itsdangerous.Signer': 0
}

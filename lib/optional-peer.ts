import { createRequire } from 'node:module'

/**
 * Optional peer dependencies (ioredis, pg, better-sqlite3) are loaded only by the feature that
 * needs them, synchronously, so that createVerifier() and plugin registration fail at once, with
 * the package named, when one is missing; apps that never use the feature never load it.
 */
export type PeerLoader = (name: string) => unknown

const requireFromHere = createRequire(import.meta.url)
let loader: PeerLoader = requireFromHere

/** The error thrown when an optional peer is not installed: it names the package and the install command. */
export class MissingPeerError extends Error {
  readonly code = 'QWED_MISSING_PEER'
  constructor (readonly packageName: string, feature: string, cause: unknown) {
    super(`${feature} needs the optional package "${packageName}", which is not installed: npm install ${packageName}`, { cause })
    this.name = 'MissingPeerError'
  }
}

/** Loads `name` for `feature`; a missing package becomes a MissingPeerError, any other load error is rethrown. */
export function loadOptionalPeer<T> (name: string, feature: string): T {
  try {
    return loader(name) as T
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') throw new MissingPeerError(name, feature, err)
    // A package that is present but whose native part does not load (ABI mismatch, not built) is
    // just as unusable: name it too, with the loader's own message.
    if (isNativeLoadFailure(err)) throw nativeModuleError(name, feature, err)
    throw err
  }
}

/**
 * Whether `err` says a native addon (`*.node`) could not be found or loaded. better-sqlite3 loads
 * its addon in the Database constructor, not on require: its callers check the constructor's
 * error with this, so a missing build is not reported as a bad file path.
 */
export function isNativeLoadFailure (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  const message = String((err as Error | null)?.message)
  if (code === 'ERR_DLOPEN_FAILED') return true
  if (/bindings file|NODE_MODULE_VERSION|invalid ELF header|wrong ELF class/.test(message)) return true
  return (code === 'MODULE_NOT_FOUND' || code === undefined) && /\.node\b/.test(message)
}

/** The MissingPeerError for a package whose native module does not load. */
export function nativeModuleError (name: string, feature: string, err: unknown): MissingPeerError {
  const error = new MissingPeerError(name, feature, err)
  error.message = `${feature} needs the optional package "${name}", whose native module does not load (${String((err as Error | null)?.message).split('\n')[0] ?? ''}); reinstall it: npm install ${name}`
  return error
}

/** Replaces the loader (tests make a package "missing" with it); returns a function that restores the previous one. */
export function setPeerLoader (next: PeerLoader): () => void {
  const previous = loader
  loader = next
  return () => { loader = previous }
}

import { qwed } from './fastify.js'

export default qwed
export { qwed }
export { createVerifier, type Verifier } from './verifier.js'
export { QwedOptionsError, VerdictError } from './errors.js'
export { admissionOf, isUnavailable, verified, unverifiable, blocked } from './result.js'
export { canonicalize, canonicalHash } from './canonical.js'
export type * from '../types/index.js'

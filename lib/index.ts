import { qwed } from './fastify.js'

export default qwed
export { qwed }
export { createVerifier, type Verifier } from './verifier.js'
export {
  extractClaims, extractFromLine, createClaimScanner, resolveExtractOptions, openingFence, isClosingFence, dedentLine, fenceClaim,
  EXTRACT_DEFAULTS, type ClaimScanner, type OpeningFence, type LineExtraction, type ResolvedExtractOptions
} from './extract/index.js'
export { QwedOptionsError, VerdictError } from './errors.js'
export { admissionOf, isUnavailable, verified, unverifiable, blocked } from './result.js'
export { canonicalize, canonicalHash } from './canonical.js'
export { sanitizeOutput, sanitizeWithReport } from './guard/output.js'
export { checkInputs, DEFAULT_INPUT_RULES } from './guard/input.js'
export { INJECTION_RULES } from './guard/injection.js'
export { DEFAULT_CLAIM_LIMITS } from './guard/limits.js'
export type * from '../types/index.js'
export { SqliteAuditStore, verifyAuditChain } from './observe/store/sqlite.js'
export { PostgresAuditStore, type PostgresAuditStoreOptions } from './observe/store/postgres.js'
export { MissingPeerError } from './optional-peer.js'
export { chainHash, chainRecords, verifyChainRows } from './observe/store/chain.js'
export { toVerificationContext, resolveVerificationContext, verificationContextProofRef } from './observe/vc.js'
export type { AuditStore, AuditRecord, AuditRow, AuditQuery, ChainReport } from './observe/store/index.js'
export type { AuditTrail } from './observe/store/trail.js'
export type { VerificationContextDocument } from './observe/vc.js'
export type { StreamOutcome, StreamReport, StopReason } from './stream/verify.js'

/**
 * Resolves with the work's value, or with `onExpiry()` once `ms` have passed (the work then runs on
 * unheard). A plain timer, strongly referenced until it fires or is cleared: Node 20 can collect an
 * `AbortSignal.timeout()` before it fires.
 */
export async function withDeadline<T> (work: Promise<T>, ms: number, onExpiry: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expiry = new Promise<typeof EXPIRED>((resolve) => { timer = setTimeout(resolve, ms, EXPIRED) })
  try {
    const first = await Promise.race([work.then((value) => ({ value })), expiry])
    return first === EXPIRED ? onExpiry() : first.value
  } finally {
    clearTimeout(timer)
  }
}

const EXPIRED = Symbol('expired')

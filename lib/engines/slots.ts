/**
 * A fixed number of slots and a bounded line of claims waiting for one: the one queue in front of
 * the worker pool, of Z3 and of the remote connections. A claim that finds the line full is told so
 * at once (the engine answers it busy); a waiting claim whose signal aborts leaves the line.
 */
export type Release = () => void

export interface Slots {
  /** A release function once a slot is free; null when the line is full. Rejects with the signal's reason when it aborts first. */
  take: (signal?: AbortSignal) => Promise<Release | null>
  /** Claims holding a slot. */
  readonly running: number
  /** Claims waiting for one. */
  readonly waiting: number
  /** Rejects every waiting claim with `reason`; later takes reject with it too. */
  close: (reason: Error) => void
}

export function createSlots (size: number, maxWaiting: number): Slots {
  const line: Array<{ grant: () => void, fail: (err: Error) => void }> = []
  let running = 0
  let closedWith: Error | null = null

  function releaser (): Release {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = line.shift()
      // the slot passes straight to the next claim in line: `running` stays the same
      if (next !== undefined) next.grant()
      else running--
    }
  }

  async function take (signal?: AbortSignal): Promise<Release | null> {
    if (closedWith !== null) throw closedWith
    if (signal?.aborted === true) throw reasonOf(signal)
    if (running < size) {
      running++
      return releaser()
    }
    if (line.length >= maxWaiting) return null
    return await new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        const at = line.indexOf(entry)
        if (at !== -1) line.splice(at, 1)
        reject(reasonOf(signal))
      }
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(releaser())
        },
        fail: (err: Error) => {
          signal?.removeEventListener('abort', onAbort)
          reject(err)
        }
      }
      line.push(entry)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  return {
    take,
    get running () { return running },
    get waiting () { return line.length },
    close (reason) {
      closedWith = reason
      for (const entry of line.splice(0)) entry.fail(reason)
    }
  }
}

function reasonOf (signal: AbortSignal | undefined): Error {
  const reason = signal?.reason as unknown
  return reason instanceof Error ? reason : new Error('the caller stopped waiting')
}

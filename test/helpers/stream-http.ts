import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http'

// A plain HTTP client for streamed answers over 127.0.0.1: the exact bytes received, the trailers,
// and a reader that can pause or leave.

export interface Received {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  trailers: Record<string, string | undefined>
  /** The client left before the end. */
  aborted: boolean
}

export interface ReadOptions {
  /** Stop reading after this many bytes until `resume()` is called. */
  pauseAfter?: number
  /** Leave (destroy the connection) after this many bytes. */
  abortAfter?: number
  /** Called with the request, to leave at a moment the test chooses. */
  onRequest?: (request: ClientRequest) => void
}

export interface Reading {
  done: Promise<Received>
  received: () => number
  resume: () => void
  paused: () => boolean
}

export function read (url: string, options: ReadOptions = {}): Reading {
  const chunks: Buffer[] = []
  let total = 0
  let resumeReading: () => void = () => {}
  let isPaused = false
  const done = new Promise<Received>((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      const finish = (aborted: boolean): void => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers, aborted })
      }
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        total += chunk.length
        if (options.abortAfter !== undefined && total >= options.abortAfter) {
          req.destroy()
          finish(true)
          return
        }
        if (options.pauseAfter !== undefined && total >= options.pauseAfter && !isPaused && resumeReading !== noop) {
          isPaused = true
          res.pause()
          resumeReading = () => {
            resumeReading = noop
            isPaused = false
            res.resume()
          }
        }
      })
      res.on('end', () => { finish(false) })
      res.on('error', () => { finish(true) })
      res.on('aborted', () => { finish(true) })
    })
    req.on('error', (err) => {
      if (req.destroyed) resolve({ status: 0, headers: {}, body: Buffer.concat(chunks), trailers: {}, aborted: true })
      else reject(err)
    })
    options.onRequest?.(req)
    req.end()
  })
  return { done, received: () => total, resume: () => { resumeReading() }, paused: () => isPaused }
}

function noop (): void {}

/** Waits (event-loop turns, not wall-clock assertions) until `check` holds; fails after `turns`. */
export async function until (check: () => boolean, what: string, turns = 5000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  throw new Error(`timed out waiting for ${what}`)
}

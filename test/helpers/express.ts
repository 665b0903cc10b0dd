import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'

export interface Served {
  /** http://127.0.0.1:<port> */
  base: string
  /** Drops open connections and stops the server. */
  close: () => Promise<void>
}

/** Serves an Express app on a free loopback port (tests talk to it over real HTTP). */
export async function serve (app: Express): Promise<Served> {
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}

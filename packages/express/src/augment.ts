import type { Principal } from '@portcullis/core';

// Types `req.auth` on Express's own Request for every consumer of this package (main entry and
// the passport subpath both import this file). Declaration merging is the only way to do that.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified machine identity, set by `m2mAuth()` and the Passport strategies. */
      auth?: Principal;
    }
  }
}

export {};

import type { Request } from 'express';
import type { RequestLike } from '@portcullis/core';

/**
 * The framework-free view of an Express request that core's `authenticate` reads.
 * `originalUrl` (not `url`) because routers strip their mount path from `url`, and the query
 * string must be checked for `access_token` wherever the middleware is mounted. `rawHeaders`
 * lets core see a duplicated `Authorization` header that Node's `headers` object drops; `body`
 * lets it refuse an `access_token` in a form body that a parser has already read.
 */
export function toRequestLike(req: Request): RequestLike {
  return {
    headers: req.headers,
    url: req.originalUrl ?? req.url,
    rawHeaders: req.rawHeaders,
    body: req.body as unknown,
  };
}

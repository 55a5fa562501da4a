/** Framework-free webhook receiving: raw body + headers in, `{status, body}` out (docs/design.md §5). */
import type { HeadersLike } from './types.js';

export interface WebhookRequest {
  readonly headers: HeadersLike;
  /** The raw, unparsed body exactly as received. Never re-serialised JSON. */
  readonly body: Uint8Array | string;
  /** The client address as the surface determined it (for source allow-lists). */
  readonly remoteAddress?: string | undefined;
}

export interface WebhookResponse {
  readonly status: number;
  readonly body: {
    readonly ok: boolean;
    readonly code?: string;
    readonly message: string;
    readonly event?: string;
    readonly replayed?: boolean;
  };
}

export interface WebhookReceiver {
  readonly name: string;
  handle(request: WebhookRequest): Promise<WebhookResponse>;
}

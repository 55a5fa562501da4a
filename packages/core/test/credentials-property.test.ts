import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractCredential } from '../src/credentials/extract.js';
import { normalizeExtractOptions } from '../src/credentials/options.js';
import { isPortcullisError } from '../src/errors.js';
import type { RequestLike } from '../src/types.js';

const options = normalizeExtractOptions({ maxCredentialBytes: 256 });

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
);

// Values biased towards the grammar, so the parser's deeper branches are reached too.
const headerValue = fc.oneof(
  text,
  fc
    .tuple(
      fc.constantFrom('Bearer', 'bearer', 'Basic', 'BASIC', 'Digest', ''),
      fc.constantFrom(' ', '  ', '\t', ''),
      text,
    )
    .map(([scheme, gap, rest]) => `${scheme}${gap}${rest}`),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => `Basic ${Buffer.from(bytes).toString('base64')}`),
  fc.array(text, { maxLength: 3 }),
  fc.constant(undefined),
  fc.integer(),
  fc.constant(null),
);

const headerName = fc.oneof(
  fc.constantFrom('authorization', 'Authorization', 'x-api-key', 'X-API-KEY', 'accept', 'get'),
  fc.string({ maxLength: 12 }),
);

const request: fc.Arbitrary<RequestLike> = fc.record(
  {
    headers: fc.oneof(
      fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
      fc
        .array(
          fc.tuple(
            fc.constantFrom('authorization', 'x-api-key', 'accept'),
            fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
          ),
          { maxLength: 3 },
        )
        .map((entries) => {
          const headers = new Headers();
          for (const [name, value] of entries) {
            try {
              headers.append(name, value);
            } catch {
              // Fetch refuses some byte sequences; those requests cannot exist.
            }
          }
          return headers;
        }),
    ),
    url: fc.oneof(fc.string({ maxLength: 60 }), fc.webPath(), fc.constant('/x?access_token=1')),
    rawHeaders: fc.array(
      fc.oneof(text, fc.constantFrom('Authorization', 'X-Api-Key'), fc.integer()),
      {
        maxLength: 6,
      },
    ),
    body: fc.anything(),
  },
  { requiredKeys: ['headers'] },
) as fc.Arbitrary<RequestLike>;

describe('extractCredential (property)', () => {
  it('returns a credential or throws a 400/401 PortcullisError, for any request', () => {
    fc.assert(
      fc.property(request, (req) => {
        let result: unknown;
        try {
          result = extractCredential(req, options);
        } catch (error) {
          expect(isPortcullisError(error)).toBe(true);
          if (!isPortcullisError(error)) return;
          expect([400, 401]).toContain(error.status);
          return;
        }
        expect(['basic', 'bearer', 'api-key']).toContain((result as { form: string }).form);
      }),
      { numRuns: 3000 },
    );
  });

  it('never echoes a credential value in the error message', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 12, maxLength: 80 }),
        fc.constantFrom('authorization', 'x-api-key'),
        (value, name) => {
          try {
            extractCredential({ headers: { [name]: value } }, options);
          } catch (error) {
            expect(isPortcullisError(error)).toBe(true);
            expect((error as Error).message).not.toContain(value);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('round-trips any Basic client id and secret (RFC 7617)', () => {
    // RFC 7617 forbids control characters in both parts; those are covered by the example tests.
    const hasControl = (value: string): boolean =>
      [...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
    const part = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(
        part.filter((id) => !id.includes(':') && !hasControl(id)),
        part.filter((secret) => !hasControl(secret)),
        (clientId, secret) => {
          const encoded = Buffer.from(`${clientId}:${secret}`, 'utf8').toString('base64');
          expect(
            extractCredential({ headers: { authorization: `Basic ${encoded}` } }, options),
          ).toEqual({
            form: 'basic',
            clientId,
            secret,
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('round-trips any token68 Bearer token', () => {
    const token68 = fc
      .tuple(
        fc.string({
          unit: fc.constantFrom(...'ABCXYZabcxyz0189-._~+/'.split('')),
          minLength: 1,
          maxLength: 60,
        }),
        fc.nat({ max: 3 }),
      )
      .map(([body, padding]) => body + '='.repeat(padding));
    fc.assert(
      fc.property(token68, (token) => {
        expect(
          extractCredential({ headers: { authorization: `Bearer ${token}` } }, options),
        ).toEqual({
          form: 'bearer',
          token,
        });
      }),
      { numRuns: 500 },
    );
  });
});

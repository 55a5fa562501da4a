import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractCredential } from '../src/credentials/extract.js';
import { normalizeExtractOptions } from '../src/credentials/options.js';
import { PortcullisError } from '../src/errors.js';
import type { ErrorCode } from '../src/errors.js';
import type { RequestLike } from '../src/types.js';

const options = normalizeExtractOptions();

function extract(headers: RequestLike['headers'], extra: Partial<RequestLike> = {}) {
  return extractCredential({ headers, ...extra }, options);
}

function codeOf(run: () => unknown): ErrorCode {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PortcullisError);
    return (error as PortcullisError).code;
  }
  throw new Error('expected a PortcullisError, nothing was thrown');
}

const basic = (text: string): string => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('Basic (RFC 7617)', () => {
  it('decodes the RFC 7617 §2 example', () => {
    expect(extract({ authorization: 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==' })).toEqual({
      form: 'basic',
      clientId: 'Aladdin',
      secret: 'open sesame',
    });
  });

  it('decodes the RFC 7617 §2.1 UTF-8 example (test:123£)', () => {
    expect(extract({ authorization: 'Basic dGVzdDoxMjPCow==' })).toEqual({
      form: 'basic',
      clientId: 'test',
      secret: '123£',
    });
  });

  it('splits at the first colon: the secret may contain colons', () => {
    expect(extract({ authorization: basic('client:se:cr:et') })).toEqual({
      form: 'basic',
      clientId: 'client',
      secret: 'se:cr:et',
    });
  });

  it('keeps a UTF-8 client id intact', () => {
    expect(extract({ authorization: basic('клиент-😀:secret') })).toMatchObject({
      clientId: 'клиент-😀',
    });
  });

  it('accepts the scheme in any case and ignores surrounding whitespace', () => {
    expect(
      extract({ authorization: `  bAsIc ${Buffer.from('a:b').toString('base64')}  ` }),
    ).toEqual({ form: 'basic', clientId: 'a', secret: 'b' });
  });

  it.each([
    ['empty client id', basic(':secret')],
    ['empty secret', basic('client:')],
    ['no colon', basic('clientsecret')],
    ['invalid UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`],
    ['not base64', 'Basic not*base64'],
    ['unpadded base64', `Basic ${Buffer.from('a:bc').toString('base64').replace(/=+$/, '')}`],
    ['nothing after the scheme', 'Basic'],
    ['two tokens', `${basic('a:b')} extra`],
    ['control character in the secret', basic('client:sec\nret')],
  ])('refuses %s as malformed', (_name, value) => {
    expect(codeOf(() => extract({ authorization: value }))).toBe('ERR_MALFORMED_CREDENTIAL');
  });
});

describe('Bearer (RFC 6750)', () => {
  const jwtLike = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~+/==';

  it('extracts a token68 value', () => {
    expect(extract({ authorization: `Bearer ${jwtLike}` })).toEqual({
      form: 'bearer',
      token: jwtLike,
    });
  });

  it('accepts a lower-case scheme', () => {
    expect(extract({ authorization: 'bearer abc' })).toEqual({ form: 'bearer', token: 'abc' });
  });

  it('accepts several spaces after the scheme (RFC 6750 §2.1: "Bearer" 1*SP b64token)', () => {
    expect(extract({ authorization: 'Bearer  x' })).toEqual({ form: 'bearer', token: 'x' });
  });

  it('ignores trailing whitespace (optional whitespace is not part of a field value)', () => {
    expect(extract({ authorization: 'Bearer abc   ' })).toEqual({ form: 'bearer', token: 'abc' });
  });

  it.each([
    ['no token', 'Bearer'],
    ['only spaces after the scheme', 'Bearer    '],
    ['two tokens', 'Bearer a b'],
    ['a tab instead of a space', 'Bearer\tabc'],
    ['characters outside token68', 'Bearer abc$def'],
    ['padding in the middle', 'Bearer ab=c'],
    ['a quoted token', 'Bearer "abc"'],
    ['non-ASCII', 'Bearer tökén'],
    ['an unknown scheme', 'Digest username="x"'],
    ['a bare token without scheme', 'abc.def.ghi'],
    ['an empty header', ''],
  ])('refuses %s as malformed', (_name, value) => {
    expect(codeOf(() => extract({ authorization: value }))).toBe('ERR_MALFORMED_CREDENTIAL');
  });
});

describe('API key header', () => {
  it('extracts the default x-api-key header, naming the header', () => {
    expect(extract({ 'x-api-key': 'key-123.abc' })).toEqual({
      form: 'api-key',
      token: 'key-123.abc',
      header: 'x-api-key',
    });
  });

  it('matches the header name case-insensitively and honours a configured name', () => {
    const custom = normalizeExtractOptions({ apiKeyHeader: 'X-Vendor-Token' });
    expect(extractCredential({ headers: { 'X-VENDOR-TOKEN': 'k' } }, custom)).toEqual({
      form: 'api-key',
      token: 'k',
      header: 'x-vendor-token',
    });
    // The default name means nothing once another is configured.
    expect(codeOf(() => extractCredential({ headers: { 'x-api-key': 'k' } }, custom))).toBe(
      'ERR_NO_CREDENTIAL',
    );
  });

  it.each([
    ['spaces inside', 'a b'],
    ['a quote', 'a"b'],
    ['non-ASCII', 'ключ'],
    ['empty', ''],
  ])('refuses a key with %s', (_name, value) => {
    expect(codeOf(() => extract({ 'x-api-key': value }))).toBe('ERR_MALFORMED_CREDENTIAL');
  });
});

describe('exactly one credential', () => {
  it('answers ERR_NO_CREDENTIAL when none is present', () => {
    expect(codeOf(() => extract({ accept: 'application/json' }))).toBe('ERR_NO_CREDENTIAL');
    expect(codeOf(() => extract(new Headers()))).toBe('ERR_NO_CREDENTIAL');
  });

  it('refuses Authorization together with the API key header', () => {
    expect(codeOf(() => extract({ authorization: 'Bearer a', 'x-api-key': 'b' }))).toBe(
      'ERR_MULTIPLE_CREDENTIALS',
    );
  });

  it('refuses an array-valued Authorization header', () => {
    expect(codeOf(() => extract({ authorization: ['Bearer a', 'Bearer b'] }))).toBe(
      'ERR_MULTIPLE_CREDENTIALS',
    );
  });

  it('refuses two spellings of the header in a hand-built object', () => {
    expect(codeOf(() => extract({ authorization: 'Bearer a', Authorization: 'Bearer b' }))).toBe(
      'ERR_MULTIPLE_CREDENTIALS',
    );
  });

  it('refuses a Fetch Headers object whose Authorization was appended twice (comma-joined)', () => {
    const headers = new Headers();
    headers.append('authorization', 'Bearer a');
    headers.append('authorization', basic('c:d'));
    expect(codeOf(() => extract(headers))).toBe('ERR_MULTIPLE_CREDENTIALS');
  });

  it('refuses a repeated API key joined with a comma', () => {
    const headers = new Headers();
    headers.append('x-api-key', 'one');
    headers.append('x-api-key', 'two');
    expect(codeOf(() => extract(headers))).toBe('ERR_MULTIPLE_CREDENTIALS');
  });

  it('reads a single credential from a Fetch Headers object', () => {
    expect(extract(new Headers({ Authorization: 'Bearer abc' }))).toEqual({
      form: 'bearer',
      token: 'abc',
    });
  });

  it('counts duplicates visible only in rawHeaders', () => {
    const request: RequestLike = {
      headers: { authorization: 'Bearer a' },
      rawHeaders: ['Authorization', 'Bearer a', 'AUTHORIZATION', 'Bearer b'],
    };
    expect(codeOf(() => extractCredential(request, options))).toBe('ERR_MULTIPLE_CREDENTIALS');
  });
});

describe('duplicated Authorization through a real Node server', () => {
  let server: Server;
  let port: number;
  const received: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req);
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  async function send(headerLines: string[]): Promise<IncomingMessage> {
    const before = received.length;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.resume(); // drain the answer so the socket can close
    socket.end(
      ['GET /orders HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close', ...headerLines, '', ''].join(
        '\r\n',
      ),
    );
    await once(socket, 'close');
    expect(received.length).toBe(before + 1);
    return received[before]!;
  }

  it('Node keeps one Authorization in headers, and rawHeaders exposes the second', async () => {
    const req = await send(['Authorization: Bearer first', 'Authorization: Bearer second']);
    expect(req.headers.authorization).toBe('Bearer first');
    // Without rawHeaders the duplicate is invisible: this is why surfaces must pass them.
    expect(extractCredential({ headers: req.headers, url: req.url }, options)).toEqual({
      form: 'bearer',
      token: 'first',
    });
    expect(
      codeOf(() =>
        extractCredential(
          { headers: req.headers, rawHeaders: req.rawHeaders, url: req.url },
          options,
        ),
      ),
    ).toBe('ERR_MULTIPLE_CREDENTIALS');
  });

  it('a single header from a real request extracts', async () => {
    const req = await send(['Authorization: Bearer only']);
    expect(
      extractCredential(
        { headers: req.headers, rawHeaders: req.rawHeaders, url: req.url },
        options,
      ),
    ).toEqual({ form: 'bearer', token: 'only' });
  });
});

describe('access_token outside the headers', () => {
  it.each([
    '/orders?access_token=abc',
    '/orders?page=2&access_token=',
    '/orders?access%5Ftoken=abc',
    '/orders?access_token=abc#fragment',
  ])('refuses %s even with a header credential', (url) => {
    expect(codeOf(() => extract({ authorization: 'Bearer a' }, { url }))).toBe(
      'ERR_TOKEN_IN_QUERY',
    );
    expect(codeOf(() => extract({}, { url }))).toBe('ERR_TOKEN_IN_QUERY');
  });

  it('does not mistake similar names or fragments for the parameter', () => {
    expect(extract({ authorization: 'Bearer a' }, { url: '/x?my_access_token=1' })).toMatchObject({
      token: 'a',
    });
    expect(extract({ authorization: 'Bearer a' }, { url: '/x#access_token=1' })).toMatchObject({
      token: 'a',
    });
  });

  it('refuses access_token in an already-parsed body', () => {
    expect(
      codeOf(() =>
        extract({ authorization: 'Bearer a' }, { body: { access_token: 'x', other: 1 } }),
      ),
    ).toBe('ERR_TOKEN_IN_QUERY');
    const nullProto = Object.assign(Object.create(null) as object, { access_token: 'x' });
    expect(codeOf(() => extract({}, { body: nullProto }))).toBe('ERR_TOKEN_IN_QUERY');
    expect(extract({ authorization: 'Bearer a' }, { body: { name: 'x' } })).toMatchObject({
      token: 'a',
    });
  });
});

describe('size bound', () => {
  it('refuses a value over maxCredentialBytes before parsing it', () => {
    const small = normalizeExtractOptions({ maxCredentialBytes: 16 });
    // Garbage that would be malformed: the size answer comes first.
    expect(
      codeOf(() => extractCredential({ headers: { authorization: 'x'.repeat(17) } }, small)),
    ).toBe('ERR_CREDENTIAL_TOO_LARGE');
    expect(extractCredential({ headers: { authorization: 'Bearer 123456789' } }, small)).toEqual({
      form: 'bearer',
      token: '123456789',
    });
  });

  it('counts bytes, not characters', () => {
    const small = normalizeExtractOptions({ maxCredentialBytes: 16 });
    // 12 characters, 17 UTF-8 bytes.
    const value = 'Bearer ééééé';
    expect(value.length).toBeLessThanOrEqual(16);
    expect(codeOf(() => extractCredential({ headers: { 'x-api-key': value } }, small))).toBe(
      'ERR_CREDENTIAL_TOO_LARGE',
    );
  });

  it('applies the 8192-byte default to the API key too', () => {
    expect(codeOf(() => extract({ 'x-api-key': 'k'.repeat(8193) }))).toBe(
      'ERR_CREDENTIAL_TOO_LARGE',
    );
    expect(extract({ 'x-api-key': 'k'.repeat(8192) })).toMatchObject({ form: 'api-key' });
  });
});

describe('hostile request objects', () => {
  it('turns a throwing getter into a typed error', () => {
    const headers = {
      get authorization(): string {
        throw new Error('boom');
      },
    };
    expect(codeOf(() => extract(headers))).toBe('ERR_MALFORMED_CREDENTIAL');
  });

  it('refuses non-string header values', () => {
    expect(codeOf(() => extract({ authorization: 42 } as never))).toBe('ERR_MALFORMED_CREDENTIAL');
  });
});

describe('normalizeExtractOptions', () => {
  it('applies defaults and lower-cases the header name', () => {
    expect(normalizeExtractOptions()).toEqual({
      apiKeyHeader: 'x-api-key',
      maxCredentialBytes: 8192,
    });
    expect(normalizeExtractOptions({ apiKeyHeader: 'X-Key' }).apiKeyHeader).toBe('x-key');
  });

  it.each([
    [{ apiKeyHeader: 'Authorization' }, 'credentials.apiKeyHeader'],
    [{ apiKeyHeader: 'x api key' }, 'credentials.apiKeyHeader'],
    [{ apiKeyHeader: '' }, 'credentials.apiKeyHeader'],
    [{ maxCredentialBytes: 0 }, 'credentials.maxCredentialBytes'],
    [{ maxCredentialBytes: 1.5 }, 'credentials.maxCredentialBytes'],
    [{ maxCredentialBytes: 1024 * 1024 + 1 }, 'credentials.maxCredentialBytes'],
    [{ maxCredentialBytes: Number.NaN }, 'credentials.maxCredentialBytes'],
  ])('refuses %j naming %s', (partial, path) => {
    try {
      normalizeExtractOptions(partial);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PortcullisError);
      expect((error as PortcullisError).code).toBe('ERR_INVALID_OPTION');
      expect((error as PortcullisError).message).toContain(path);
    }
  });
});

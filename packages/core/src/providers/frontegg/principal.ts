/**
 * Frontegg token `type` → what Portcullis knows about it, and claims → Principal (docs/design.md §1, §4).
 * Claim sets per type: frontegg-wire.md §1.
 */
import { PortcullisError } from '../../errors.js';
import type { CredentialKind, OwnerKind, Principal } from '../../types.js';

/** The token types Portcullis accepts as M2M credentials (plus `userToken` when allowed). */
export type FronteggTokenType =
  'tenantApiToken' | 'userApiToken' | 'tenantAccessToken' | 'userAccessToken' | 'userToken';

interface TypeInfo {
  readonly ownerKind: OwnerKind;
  readonly credential: CredentialKind;
}

const TYPES: Readonly<Record<FronteggTokenType, TypeInfo>> = Object.freeze({
  tenantApiToken: { ownerKind: 'tenant', credential: 'client_credentials' },
  userApiToken: { ownerKind: 'user', credential: 'client_credentials' },
  tenantAccessToken: { ownerKind: 'tenant', credential: 'access_token' },
  userAccessToken: { ownerKind: 'user', credential: 'access_token' },
  // A user's session token is no M2M credential; it maps like a personal access token when allowed.
  userToken: { ownerKind: 'user', credential: 'access_token' },
});

/** Reads and checks the `type` claim; unknown, missing and (unless allowed) `userToken` are refused. */
export function tokenTypeOf(
  payload: Readonly<Record<string, unknown>>,
  allowUserTokens: boolean,
): FronteggTokenType {
  const type = payload['type'];
  if (typeof type !== 'string' || !Object.hasOwn(TYPES, type)) {
    throw new PortcullisError(
      'ERR_TOKEN_TYPE_NOT_ALLOWED',
      typeof type === 'string'
        ? `Frontegg token type "${type.slice(0, 40)}" is not an M2M credential`
        : 'the token has no Frontegg "type" claim',
    );
  }
  if (type === 'userToken' && !allowUserTokens) {
    throw new PortcullisError(
      'ERR_TOKEN_TYPE_NOT_ALLOWED',
      'user session tokens (type userToken) are not accepted as M2M credentials',
    );
  }
  return type as FronteggTokenType;
}

/** True for the types whose liveness is checked at the IdP (they may lack `exp`). */
export function isAccessTokenType(type: FronteggTokenType): boolean {
  return type === 'tenantAccessToken' || type === 'userAccessToken';
}

/** Roles and permissions as strings; Frontegg sends strings, some payloads `{key, name}` objects. */
export function keysOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const keys: string[] = [];
  for (const item of value) {
    if (typeof item === 'string' && item !== '') keys.push(item);
    else if (typeof item === 'object' && item !== null) {
      const key = (item as { key?: unknown }).key;
      if (typeof key === 'string' && key !== '') keys.push(key);
    }
  }
  return keys;
}

/** Extra facts from the vendor-only `/{id}` lookup of an access token. */
export interface AccessTokenEntity {
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
  readonly tenantId?: string;
  readonly userId?: string;
}

/** Builds the frozen Principal for a verified Frontegg JWT. */
export function toPrincipal(
  payload: Readonly<Record<string, unknown>>,
  type: FronteggTokenType,
  entity?: AccessTokenEntity,
): Principal {
  const info = TYPES[type];
  const sub = str(payload['sub']);
  if (sub === undefined) {
    throw new PortcullisError('ERR_TOKEN_CLAIM_INVALID', 'the token has no "sub" claim');
  }
  const createdByUserId = str(payload['createdByUserId']);
  const tenantId = str(payload['tenantId']) ?? entity?.tenantId;
  const userId = personalUserId(payload, type, sub, entity);
  const isApiToken = info.credential === 'client_credentials';
  const principal: Principal = {
    subject: sub,
    ...(isApiToken ? { clientId: sub } : {}),
    ...(isAccessTokenType(type) ? { tokenId: sub } : {}),
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(userId === undefined ? {} : { userId }),
    ...(createdByUserId === undefined ? {} : { createdByUserId }),
    ownerKind: info.ownerKind,
    credential: info.credential,
    permissions: Object.freeze(
      unique([...keysOf(payload['permissions']), ...(entity?.permissions ?? [])]),
    ),
    roles: Object.freeze(unique([...keysOf(payload['roles']), ...(entity?.roles ?? [])])),
    scopes: Object.freeze([]),
    ...(typeof payload['iss'] === 'string' ? { issuer: payload['iss'] } : {}),
    ...(typeof payload['iat'] === 'number' ? { issuedAt: payload['iat'] } : {}),
    ...(typeof payload['exp'] === 'number' ? { expiresAt: payload['exp'] } : {}),
    claims: Object.freeze({ ...payload }),
  };
  return Object.freeze(principal);
}

/** Only personal tokens have an owning user; a tenant token's creator is not its owner. */
function personalUserId(
  payload: Readonly<Record<string, unknown>>,
  type: FronteggTokenType,
  sub: string,
  entity: AccessTokenEntity | undefined,
): string | undefined {
  switch (type) {
    case 'userApiToken':
      return str(payload['userId']) ?? str(payload['createdByUserId']);
    case 'userAccessToken':
      return str(payload['userId']) ?? entity?.userId;
    case 'userToken':
      return sub;
    default:
      return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

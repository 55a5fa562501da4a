/**
 * JSON shapes of Frontegg's answers, written from `/work/shared/reference/frontegg-api-facts.md`
 * (and, where it is silent, Frontegg's OpenAPI operation of the same name). Objects are loose:
 * Frontegg adds fields freely, so a shape names only what a client may rely on.
 */
import { z } from 'zod';

const iso = z.string().min(1);
const nullableIso = iso.nullable();

/** Frontegg's error body (facts: `403 {"errors":["Api tokens are disabled"]}`). */
export const errorBody = z.looseObject({ errors: z.array(z.string()).min(1) });

export const vendorToken = z.looseObject({
  token: z.string().min(1),
  expiresIn: z.number().positive(),
});

export const configurations = z.looseObject({
  publicKey: z.string().optional(),
  apiTokensEnabled: z.boolean(),
  machineToMachineAuthStrategy: z.enum(['ClientCredentials', 'AccessToken']),
  defaultTokenExpiration: z.number().positive(),
  addRolesToJwt: z.boolean().optional(),
  addPermissionsToJwt: z.boolean().optional(),
});

export const jwks = z.looseObject({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })).min(1),
});

/** `POST {app}/identity/resources/auth/v2/api-token` (snake_case). */
export const exchangeV2 = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().positive(),
  expires: iso,
});

/** The deprecated v1 exchange (camelCase). */
export const exchangeV1 = z.looseObject({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresIn: z.number().positive(),
  expires: iso,
});

/** One entry of `GET .../api-tokens/v1` (facts "API tokens"). */
export const apiToken = z.looseObject({
  clientId: z.string().min(1),
  description: z.string(),
  tenantId: z.string().min(1),
  createdByUserId: z.string().nullable(),
  metadata: z.unknown(),
  createdAt: iso,
  permissionIds: z.array(z.string()),
  roleIds: z.array(z.string()),
  expires: nullableIso,
});
export const apiTokenList = z.array(apiToken);
export const createdApiToken = apiToken.extend({ secret: z.string().min(1) });

const grant = z.union([z.string(), z.looseObject({ key: z.string() })]);

/** `GET .../vendor-only/{tenants|users}/access-tokens/v1/{id}`. */
export const accessTokenEntity = z.looseObject({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  permissions: z.array(grant),
  roles: z.array(grant),
  expires: iso.optional(),
  userId: z.string().optional(),
});
export const activeIds = z.array(z.string());

const accessToken = z.looseObject({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  description: z.string(),
  createdAt: iso,
  expires: nullableIso,
});
export const accessTokenList = z.looseObject({ accessTokens: z.array(accessToken) });
export const createdAccessToken = accessToken.extend({ secret: z.string().min(1) });

/** A user as the users routes and the user webhooks show it (facts "Webhooks"). */
export const user = z.looseObject({
  id: z.string().min(1),
  email: z.string().min(1),
  isLocked: z.boolean(),
  tenantId: z.string().optional(),
  tenantIds: z.array(z.string()),
});
export const userPage = z.looseObject({ items: z.array(user) });

export const tenant = z.looseObject({ tenantId: z.string().min(1), name: z.string() });
/** Getting one tenant answers an array; an unknown tenant an empty one (facts "Users"). */
export const tenantArray = z.array(tenant);

export const permission = z.looseObject({ id: z.string().min(1), key: z.string().min(1) });
export const role = z.looseObject({ id: z.string().min(1), key: z.string().min(1) });
export const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]);

export const webhook = z.looseObject({
  displayName: z.string(),
  url: z.string().min(1),
  eventKeys: z.array(z.string()),
  isActive: z.boolean(),
});
export const webhookLogs = z.looseObject({ logs: z.array(z.unknown()) });

/** Deletes and other answers whose body nobody reads. */
export const anyBody = z.unknown();

/** Route rules in the YAML file: their schema, cross-field checks and compilation. */
import { z } from 'zod';
import { compilePattern, PatternError } from '../rules/pattern.js';
import { ruleName } from '../rules/route-rules.js';
import type { CompiledRule, RouteRequirements } from '../rules/route-rules.js';
import { headerName, nonEmpty, stringList } from './fields.js';

export const credentialKind = z.enum(['client_credentials', 'access_token']);
export const ownerKind = z.enum(['tenant', 'user', 'client']);
export const method = z
  .string()
  .regex(/^[A-Za-z]+$/, 'must be an HTTP method')
  .transform((value) => value.toUpperCase());

export const ruleSchema = z
  .object({
    path: nonEmpty,
    methods: z.array(method).min(1).optional(),
    public: z.literal(true).optional(),
    deny: z.literal(true).optional(),
    permissions: stringList.optional(),
    permissionsMode: z.enum(['all', 'any']).optional(),
    roles: stringList.optional(),
    rolesMode: z.enum(['all', 'any']).optional(),
    scopes: stringList.optional(),
    ownerKind: z.union([ownerKind, z.array(ownerKind).min(1)]).optional(),
    tenant: z
      .union([
        z.object({ pathParam: nonEmpty }).strict(),
        z.object({ header: headerName }).strict(),
      ])
      .optional(),
  })
  .strict();

export type RawRule = z.infer<typeof ruleSchema>;

/** Cross-field checks of one route rule, reported at `path`. */
export function checkRule(
  rule: RawRule,
  raw: { caseInsensitivePaths: boolean; identity: { headerPrefix: string } },
  path: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  const issue = (field: string, message: string): void =>
    ctx.addIssue({ code: 'custom', path: [...path, field], message });
  let params: readonly string[] = [];
  try {
    params = compilePattern(rule.path, raw.caseInsensitivePaths).params;
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    issue('path', error.message);
  }
  const hasRequirements =
    rule.permissions !== undefined ||
    rule.roles !== undefined ||
    rule.scopes !== undefined ||
    rule.ownerKind !== undefined ||
    rule.tenant !== undefined;
  if (rule.public === true && (hasRequirements || rule.deny === true)) {
    issue('public', 'a public rule cannot also deny or carry requirements');
  }
  if (rule.deny === true && hasRequirements) {
    issue('deny', 'a deny rule cannot carry requirements');
  }
  const tenant = rule.tenant;
  if (tenant !== undefined && 'pathParam' in tenant && !params.includes(tenant.pathParam)) {
    issue('tenant', `path parameter {${tenant.pathParam}} is not in the pattern`);
  }
  if (tenant !== undefined && 'header' in tenant) {
    const normalized = tenant.header.replaceAll('_', '-');
    if (normalized.startsWith(raw.identity.headerPrefix.replaceAll('_', '-'))) {
      issue('tenant', 'the tenant header cannot use the identity header prefix (it is stripped)');
    }
  }
}

/** A validated rule → the matcher the request pipeline uses. */
export function compileRule(rule: RawRule, caseInsensitive: boolean): CompiledRule {
  const requirements: RouteRequirements = {
    ...(rule.permissions === undefined ? {} : { permissions: rule.permissions }),
    ...(rule.permissionsMode === undefined ? {} : { permissionsMode: rule.permissionsMode }),
    ...(rule.roles === undefined ? {} : { roles: rule.roles }),
    ...(rule.rolesMode === undefined ? {} : { rolesMode: rule.rolesMode }),
    ...(rule.scopes === undefined ? {} : { scopes: rule.scopes }),
    ...(rule.ownerKind === undefined
      ? {}
      : {
          ownerKind: Array.isArray(rule.ownerKind) ? rule.ownerKind : [rule.ownerKind],
        }),
    ...(rule.tenant === undefined ? {} : { tenant: rule.tenant }),
  };
  const methods = rule.methods === undefined ? undefined : new Set(rule.methods);
  return {
    name: ruleName(methods, rule.path),
    methods,
    pattern: compilePattern(rule.path, caseInsensitive),
    action: rule.public === true ? 'public' : rule.deny === true ? 'deny' : 'authenticate',
    requirements,
  };
}

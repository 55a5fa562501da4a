import { field, h } from './dom.js';

/** The vendor's choice of tenant and user, shared by the token tabs for the whole visit. */
const chosen = { tenantId: undefined, userId: undefined };

function select(label, options, value, onChange) {
  const control = h(
    'select',
    { onchange: (event) => onChange(event.target.value) },
    options.map((option) =>
      h('option', { value: option.value, selected: option.value === value }, option.label),
    ),
  );
  return field(label, control);
}

/**
 * Which tenant (and which user, for personal tokens) the token tabs act on, and the headers
 * that say so. A user acts in their token's tenant on their own tokens (the API takes both from
 * the token). The vendor names them with `frontegg-tenant-id` / `frontegg-user-id`, chosen here.
 * `onChange` re-renders the tab after a new choice.
 */
export async function resolveScope(ctx, onChange) {
  if (!ctx.isVendor) {
    const { tenantId, sub, email } = ctx.session.claims;
    return {
      tenantId,
      userId: sub,
      tenantHeaders: {},
      userHeaders: {},
      element: h('p', { class: 'scope-line' }, `Tenant ${tenantId} · your tokens as ${email}`),
    };
  }
  const tenants = await ctx.call('GET', '/tenants/resources/tenants/v1');
  if (tenants.length === 0) {
    return {
      tenantId: undefined,
      element: h('p', { class: 'empty' }, 'No tenants yet: create one under Tenants & users.'),
    };
  }
  if (!tenants.some((tenant) => tenant.tenantId === chosen.tenantId)) {
    chosen.tenantId = tenants[0].tenantId;
    chosen.userId = undefined;
  }
  const tenantHeaders = { 'frontegg-tenant-id': chosen.tenantId };
  const users = (await ctx.call('GET', '/identity/resources/users/v2', { headers: tenantHeaders }))
    .items;
  if (!users.some((user) => user.id === chosen.userId)) chosen.userId = users[0]?.id;

  const element = h(
    'div',
    { class: 'scope' },
    select(
      'Tenant',
      tenants.map((tenant) => ({
        value: tenant.tenantId,
        label: `${tenant.name} (${tenant.tenantId})`,
      })),
      chosen.tenantId,
      (tenantId) => {
        chosen.tenantId = tenantId;
        chosen.userId = undefined;
        onChange();
      },
    ),
    users.length === 0
      ? h('p', { class: 'empty' }, 'This tenant has no users, so no personal tokens.')
      : select(
          'User (personal tokens)',
          users.map((user) => ({ value: user.id, label: user.email })),
          chosen.userId,
          (userId) => {
            chosen.userId = userId;
            onChange();
          },
        ),
  );
  return {
    tenantId: chosen.tenantId,
    userId: chosen.userId,
    tenantHeaders,
    userHeaders:
      chosen.userId === undefined
        ? undefined
        : { ...tenantHeaders, 'frontegg-user-id': chosen.userId },
    element,
  };
}

import { confirmDanger, showDialog } from '../dialog.js';
import { checkboxGroup, disclosureButton, errorLine, field, h, replace, table } from '../dom.js';
import { formatDate } from '../format.js';

/** The tenant whose users are shown, kept across re-renders. */
let selectedTenantId;

/**
 * Tenants & users (vendor only), through Frontegg's management routes: create and delete
 * tenants (`/tenants/resources/tenants/v1`) and users (`/identity/resources/users/v2`,
 * `DELETE /identity/resources/users/v1/{id}`), and set a user's roles in a tenant
 * (`PUT /identity/resources/users/v1/{id}/roles`).
 */
export async function renderTenants(ctx, panel) {
  const heading = h('h2', {}, 'Tenants & users');
  replace(panel, heading, h('p', { class: 'empty' }, 'Loading…'));
  ctx.catalog.reset();
  let tenants;
  let roles;
  try {
    [tenants, { roles }] = await Promise.all([
      ctx.call('GET', '/tenants/resources/tenants/v1'),
      ctx.catalog.all(),
    ]);
  } catch (error) {
    replace(panel, heading, h('p', { class: 'error', role: 'alert' }, error.message));
    return;
  }
  const rerender = () => renderTenants(ctx, panel);
  if (!tenants.some((tenant) => tenant.tenantId === selectedTenantId)) {
    selectedTenantId = tenants[0]?.tenantId;
  }

  const tenantRows = tenants.map((tenant) => [
    tenant.name,
    h('code', {}, tenant.tenantId),
    formatDate(tenant.createdAt),
    h(
      'div',
      { class: 'row-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          'aria-pressed': String(tenant.tenantId === selectedTenantId),
          'aria-label': `Show users of ${tenant.name}`,
          onclick: () => {
            selectedTenantId = tenant.tenantId;
            void rerender();
          },
        },
        'Users',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger small',
          'aria-label': `Delete tenant ${tenant.name}`,
          onclick: async () => {
            const confirmed = await confirmDanger(
              'Delete tenant?',
              `“${tenant.name}”, its API and access tokens and its memberships are deleted.`,
              'Delete tenant',
            );
            if (!confirmed) return;
            await act(
              ctx,
              () =>
                ctx.call(
                  'DELETE',
                  `/tenants/resources/tenants/v1/${encodeURIComponent(tenant.tenantId)}`,
                ),
              `Deleted tenant ${tenant.name}.`,
            );
            await rerender();
          },
        },
        'Delete',
      ),
    ),
  ]);

  const selected = tenants.find((tenant) => tenant.tenantId === selectedTenantId);
  replace(
    panel,
    heading,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'tenants-title' },
      h('h3', { id: 'tenants-title' }, 'Tenants'),
      tenantForm(ctx, rerender),
      tenants.length === 0
        ? h('p', { class: 'empty' }, 'No tenants yet.')
        : table('Tenants', ['Name', 'Tenant ID', 'Created', 'Actions'], tenantRows),
    ),
    selected === undefined
      ? undefined
      : await usersCard(ctx, selected, roles, rerender).catch((error) =>
          h('p', { class: 'error', role: 'alert' }, error.message),
        ),
  );
}

async function act(ctx, action, success) {
  try {
    await action();
    ctx.announce(success);
  } catch (error) {
    ctx.announce(`Failed: ${error.message}`);
  }
}

function tenantForm(ctx, rerender) {
  const tenantId = h('input', { type: 'text', maxlength: '256', autocomplete: 'off' });
  const name = h('input', { type: 'text', required: true, maxlength: '256' });
  const error = errorLine();
  return h(
    'form',
    {
      class: 'inline-form',
      'aria-label': 'Create a tenant',
      onsubmit: async (event) => {
        event.preventDefault();
        error.clear();
        const body = { name: name.value.trim() };
        if (tenantId.value.trim() !== '') body.tenantId = tenantId.value.trim();
        try {
          const created = await ctx.call('POST', '/tenants/resources/tenants/v1', { body });
          selectedTenantId = created.tenantId;
          ctx.announce(`Created tenant ${created.name}.`);
          await rerender();
        } catch (caught) {
          error.show(caught.message);
        }
      },
    },
    field('Tenant name', name),
    field('Tenant ID (optional)', tenantId),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Create tenant'),
    ),
    error.element,
  );
}

async function usersCard(ctx, tenant, roles, rerender) {
  const headers = { 'frontegg-tenant-id': tenant.tenantId };
  const { items: users } = await ctx.call('GET', '/identity/resources/users/v2', { headers });
  const roleOptions = roles.map((role) => ({ value: role.id, label: role.key }));

  const rows = users.map((user) => [
    user.email,
    user.name,
    user.roles.map((role) => role.key).join(', ') || '—',
    h(
      'div',
      { class: 'row-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          'aria-label': `Edit roles of ${user.email}`,
          onclick: async () => {
            const group = checkboxGroup(
              `Roles in ${tenant.name}`,
              roleOptions,
              user.roles.map((role) => role.id),
            );
            const confirmed = await showDialog({
              title: `Roles of ${user.email}`,
              content: group.element,
              confirmLabel: 'Save roles',
            });
            if (!confirmed) return;
            await act(
              ctx,
              () =>
                ctx.call(
                  'PUT',
                  `/identity/resources/users/v1/${encodeURIComponent(user.id)}/roles`,
                  {
                    headers,
                    body: { roleIds: group.selected() },
                  },
                ),
              `Saved the roles of ${user.email}.`,
            );
            await rerender();
          },
        },
        'Roles',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger small',
          'aria-label': `Delete user ${user.email}`,
          onclick: async () => {
            const confirmed = await confirmDanger(
              'Delete user?',
              `${user.email} is deleted from every tenant, with their personal tokens. Tenant tokens they created stay.`,
              'Delete user',
            );
            if (!confirmed) return;
            await act(
              ctx,
              () =>
                ctx.call('DELETE', `/identity/resources/users/v1/${encodeURIComponent(user.id)}`),
              `Deleted user ${user.email}.`,
            );
            await rerender();
          },
        },
        'Delete',
      ),
    ),
  ]);

  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'users-title' },
    h('h3', { id: 'users-title' }, `Users in ${tenant.name}`),
    userForm(ctx, headers, roleOptions, rerender),
    users.length === 0
      ? h('p', { class: 'empty' }, 'No users in this tenant.')
      : table(`Users in ${tenant.name}`, ['Email', 'Name', 'Roles', 'Actions'], rows),
  );
}

function userForm(ctx, headers, roleOptions, rerender) {
  const email = h('input', { type: 'email', required: true, autocomplete: 'off' });
  const name = h('input', { type: 'text', maxlength: '256' });
  const password = h('input', { type: 'password', autocomplete: 'new-password' });
  const roles = checkboxGroup('Roles', roleOptions);
  const error = errorLine();
  const form = h(
    'form',
    {
      class: 'create',
      id: 'create-user',
      hidden: true,
      onsubmit: async (event) => {
        event.preventDefault();
        error.clear();
        const body = { email: email.value.trim(), roleIds: roles.selected() };
        if (name.value.trim() !== '') body.name = name.value.trim();
        if (password.value !== '') body.password = password.value;
        try {
          await ctx.call('POST', '/identity/resources/users/v2', { headers, body });
          ctx.announce(`Created user ${body.email}.`);
          await rerender();
        } catch (caught) {
          error.show(caught.message);
        }
      },
    },
    field('Email', email),
    field('Name', name),
    field('Password', password, 'Needed to sign in to this console as the user.'),
    h('div', { class: 'groups' }, roles.element),
    error.element,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Create user'),
    ),
  );
  const toggle = disclosureButton('Create a user', form, email);
  return h('div', { class: 'create-wrap' }, toggle, form);
}

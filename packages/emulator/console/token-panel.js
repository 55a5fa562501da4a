import { confirmDanger } from './dialog.js';
import { resolveScope } from './scope.js';
import { checkboxGroup, errorLine, field, h, replace, table, uid } from './dom.js';
import { formatDate } from './format.js';
import { secretBox } from './secret-box.js';

const NOUNS = {
  api: { tenant: 'tenant API token', user: 'personal API token' },
  access: { tenant: 'tenant access token', user: 'personal access token' },
};

function basePath(family, kind) {
  return family === 'api'
    ? `/identity/resources/${kind}s/api-tokens/v1`
    : `/identity/resources/${kind}s/access-tokens/v1`;
}

const capitalized = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * One token list (tenant or personal; API tokens or access tokens) with its create form and
 * delete buttons. Listing needs `fe.secure.read.*`, creating `write`, deleting `delete`; the
 * controls a user may not use are not rendered at all.
 */
export function tokenSection(ctx, scope, { family, kind }) {
  const noun = NOUNS[family][kind];
  const title = `${capitalized(noun)}s`;
  const titleId = uid('tokens-title');
  const path = basePath(family, kind);
  const headers = kind === 'tenant' ? scope.tenantHeaders : scope.userHeaders;
  const canRead = ctx.can('read', kind);
  const canWrite = ctx.can('write', kind);
  const canDelete = ctx.can('delete', kind);
  const permissionKey = (action) => `fe.secure.${action}.${kind}ApiTokens`;

  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': titleId },
    h('h3', { id: titleId }, title),
  );
  if (headers === undefined) {
    section.append(
      h('p', { class: 'empty' }, 'Personal tokens belong to a user: choose one above.'),
    );
    return section;
  }

  const secrets = h('div', { class: 'secrets' });
  const list = h('div', { class: 'list', 'aria-live': 'polite' });

  async function refresh() {
    if (!canRead) {
      replace(
        list,
        h('p', { class: 'empty' }, `You may not list ${noun}s (needs ${permissionKey('read')}).`),
      );
      return;
    }
    replace(list, h('p', { class: 'empty' }, 'Loading…'));
    try {
      const answer = await ctx.call('GET', path, { headers });
      const tokens = family === 'api' ? answer : answer.accessTokens;
      if (tokens.length === 0) {
        replace(list, h('p', { class: 'empty' }, `No ${noun}s yet.`));
        return;
      }
      const rows = await Promise.all(tokens.map(rowOf));
      const columns = [
        'Description',
        family === 'api' ? 'Client ID' : 'Token ID',
        'Roles and permissions',
        'Created',
        'Expires',
      ];
      if (canDelete) columns.push('Actions');
      replace(list, table(title, columns, rows));
    } catch (error) {
      replace(list, h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  async function rowOf(token) {
    const id = family === 'api' ? token.clientId : token.id;
    const name = token.description || id;
    let grants = await ctx.catalog.describe(token.roleIds, token.permissionIds ?? []);
    if (grants === '—' && kind === 'user') grants = 'inherits the user’s roles';
    const cells = [
      token.description || h('span', { class: 'muted' }, '(no description)'),
      h('code', {}, id),
      grants,
      formatDate(token.createdAt),
      formatDate(token.expires),
    ];
    if (canDelete) {
      cells.push(
        h(
          'button',
          {
            type: 'button',
            class: 'danger small',
            'aria-label': `Delete ${noun} ${name}`,
            onclick: () => remove(id, name),
          },
          'Delete',
        ),
      );
    }
    return cells;
  }

  async function remove(id, name) {
    const confirmed = await confirmDanger(
      `Delete ${noun}?`,
      `“${name}” stops working for every caller. This cannot be undone.`,
      'Delete token',
    );
    if (!confirmed) return;
    try {
      await ctx.call('DELETE', `${path}/${encodeURIComponent(id)}`, { headers });
      ctx.announce(`Deleted ${noun} ${name}.`);
    } catch (error) {
      ctx.announce(`Could not delete: ${error.message}`);
    }
    await refresh();
  }

  if (canWrite) section.append(createForm());
  section.append(secrets, list);
  void refresh();
  return section;

  function createForm() {
    const formId = uid('create-form');
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'primary',
        'aria-expanded': 'false',
        'aria-controls': formId,
        onclick: () => {
          const open = form.hidden;
          form.hidden = !open;
          toggle.setAttribute('aria-expanded', String(open));
          if (open) description.focus();
        },
      },
      `Create ${noun}`,
    );
    const description = h('input', { type: 'text', maxlength: '256', autocomplete: 'off' });
    const expires = h('input', { type: 'number', min: '1', max: '5256000', inputmode: 'numeric' });
    const error = errorLine();
    const groups = h('div', { class: 'groups' });
    let roles;
    let permissions;
    if (ctx.isVendor) {
      void ctx.catalog.all().then(
        (all) => {
          roles = checkboxGroup(
            'Roles',
            all.roles.map((role) => ({ value: role.id, label: role.key })),
          );
          groups.append(roles.element);
          if (family === 'api') {
            permissions = checkboxGroup(
              'Permissions',
              all.permissions.map((permission) => ({
                value: permission.id,
                label: permission.key,
              })),
            );
            groups.append(permissions.element);
          }
        },
        (caught) => groups.append(h('p', { class: 'error', role: 'alert' }, caught.message)),
      );
    }
    const form = h(
      'form',
      {
        id: formId,
        class: 'create',
        hidden: true,
        onsubmit: async (event) => {
          event.preventDefault();
          error.clear();
          const body = { description: description.value.trim() };
          if (expires.value !== '') body.expiresInMinutes = Number(expires.value);
          if (roles) body.roleIds = roles.selected();
          if (permissions) body.permissionIds = permissions.selected();
          try {
            const created = await ctx.call('POST', path, { headers, body });
            form.reset();
            form.hidden = true;
            toggle.setAttribute('aria-expanded', 'false');
            const box = secretBox({
              family,
              id: family === 'api' ? created.clientId : created.id,
              secret: created.secret,
              announce: ctx.announce,
              onDismiss: () => toggle.focus(),
            });
            replace(secrets, box);
            box.querySelector('h4')?.focus();
            ctx.announce(`Created ${noun}. Copy its secret now.`);
            await refresh();
          } catch (caught) {
            error.show(caught.message);
          }
        },
      },
      field('Description', description),
      field('Expires in (minutes)', expires, 'Leave empty for a token that does not expire.'),
      groups,
      error.element,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create')),
    );
    return h('div', { class: 'create-wrap' }, toggle, form);
  }
}

const INTROS = {
  api: 'Client credentials: a client ID and a secret, sent as HTTP Basic or exchanged for a JWT.',
  access:
    'Access tokens: long-lived JWTs that stay valid while listed as active. Send them as Bearer or X-API-Key.',
};

/** A whole token tab (API tokens or access tokens): scope, tenant tokens, personal tokens. */
export async function renderTokenTab(ctx, panel, family) {
  const heading = h('h2', {}, family === 'api' ? 'API tokens' : 'Access tokens');
  replace(panel, heading, h('p', { class: 'empty' }, 'Loading…'));
  try {
    const scope = await resolveScope(ctx, () => renderTokenTab(ctx, panel, family));
    replace(
      panel,
      heading,
      h('p', { class: 'intro' }, INTROS[family]),
      scope.element,
      scope.tenantId === undefined
        ? undefined
        : [
            tokenSection(ctx, scope, { family, kind: 'tenant' }),
            tokenSection(ctx, scope, { family, kind: 'user' }),
          ],
    );
  } catch (error) {
    replace(panel, heading, h('p', { class: 'error', role: 'alert' }, error.message));
  }
}

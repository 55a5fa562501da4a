/* global document, history, location, CustomEvent */
import { ApiError, request, signInUser, signInVendor } from './api.js';
import { createCatalog } from './catalog.js';
import { errorLine, field, h, replace } from './dom.js';
import { normalizedSidecarUrl } from './format.js';
import { renderM2m } from './panels/m2m.js';
import { renderTenants } from './panels/tenants.js';
import { renderWebhooks } from './panels/webhooks.js';
import { SIDECAR_EVENT } from './secret-box.js';
import {
  can,
  clearSession,
  loadSession,
  saveSession,
  sessionOf,
  setSidecarUrl,
  sidecarUrl,
} from './session.js';
import { createTabs } from './tabs.js';
import { renderTokenTab } from './token-panel.js';

const main = document.getElementById('main');
const status = document.getElementById('status');
const who = document.getElementById('who');
const signOutButton = document.getElementById('sign-out');

/** Says something to screen readers (and shows it): the polite live region in the footer. */
function announce(message) {
  status.textContent = '';
  // A fresh text node after a tick, so repeating the same message is announced again.
  setTimeout(() => {
    status.textContent = message;
  }, 20);
}

function signInForm({ title, fields, submitLabel, signIn }) {
  const error = errorLine();
  const titleId = `${submitLabel.replace(/\W+/g, '-').toLowerCase()}-title`;
  const submit = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  return h(
    'form',
    {
      class: 'card sign-in-form',
      'aria-labelledby': titleId,
      onsubmit: async (event) => {
        event.preventDefault();
        error.clear();
        submit.disabled = true;
        try {
          const session = sessionOf(await signIn());
          if (session === undefined)
            throw new Error('The emulator answered with an unusable token.');
          saveSession(session);
          showWorkspace(session);
          announce(
            `Signed in as ${session.kind === 'vendor' ? 'the vendor' : session.claims.email}.`,
          );
        } catch (caught) {
          error.show(caught.message);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', { id: titleId }, title),
    fields,
    error.element,
    h('div', { class: 'actions' }, submit),
  );
}

function showSignIn(message) {
  who.textContent = '';
  signOutButton.hidden = true;
  const clientId = h('input', {
    type: 'text',
    required: true,
    autocomplete: 'username',
    id: 'vendor-client-id',
  });
  const secret = h('input', {
    type: 'password',
    required: true,
    autocomplete: 'current-password',
    id: 'vendor-secret',
  });
  const email = h('input', {
    type: 'email',
    required: true,
    autocomplete: 'username',
    id: 'user-email',
  });
  const password = h('input', {
    type: 'password',
    required: true,
    autocomplete: 'current-password',
    id: 'user-password',
  });
  const tenantId = h('input', { type: 'text', autocomplete: 'off', id: 'user-tenant' });
  replace(
    main,
    h('h1', {}, 'Sign in'),
    message === undefined ? undefined : h('p', { class: 'notice', role: 'alert' }, message),
    h(
      'div',
      { class: 'sign-in' },
      signInForm({
        title: 'As the vendor',
        fields: [field('Client ID', clientId), field('Secret', secret)],
        submitLabel: 'Sign in as vendor',
        signIn: () => signInVendor(clientId.value.trim(), secret.value),
      }),
      signInForm({
        title: 'As a user',
        fields: [
          field('Email', email),
          field('Password', password),
          field('Tenant ID (optional)', tenantId, 'Default: the user’s first tenant.'),
        ],
        submitLabel: 'Sign in as user',
        signIn: () => signInUser(email.value.trim(), password.value, tenantId.value.trim()),
      }),
    ),
  );
}

function signOut(message) {
  clearSession();
  history.replaceState(null, '', location.pathname);
  showSignIn(message);
  announce(message ?? 'Signed out.');
  document.getElementById('vendor-client-id')?.focus();
}

function sidecarSetting() {
  const input = h('input', {
    type: 'url',
    value: sidecarUrl(),
    id: 'sidecar-url',
    autocomplete: 'off',
  });
  input.addEventListener('change', () => {
    const url = normalizedSidecarUrl(input.value.trim());
    input.setCustomValidity(url === undefined ? 'Enter an http(s) URL.' : '');
    if (!input.reportValidity() || url === undefined) return;
    setSidecarUrl(input.value.trim());
    document.dispatchEvent(new CustomEvent(SIDECAR_EVENT));
    announce('Sidecar URL saved: curl lines use it now.');
  });
  return h(
    'div',
    { class: 'settings-row' },
    field('Demo sidecar URL', input, 'Used in the ready-made curl lines.'),
  );
}

function showWorkspace(session) {
  const isVendor = session.kind === 'vendor';
  const ctx = {
    session,
    isVendor,
    announce,
    can: (action, kind) => can(session, action, kind),
    async call(method, path, options = {}) {
      try {
        return await request(method, path, { ...options, token: session.token });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          signOut('Your session has expired or was refused: sign in again.');
        }
        throw error;
      }
    },
  };
  ctx.catalog = createCatalog(ctx);

  who.textContent = isVendor
    ? `Vendor ${session.claims.sub}`
    : `${session.claims.email} · tenant ${session.claims.tenantId}`;
  signOutButton.hidden = false;

  const withFreshCatalog = (render) => (panel) => {
    ctx.catalog.reset();
    return render(ctx, panel);
  };
  const tabs = [
    {
      id: 'api-tokens',
      label: 'API Tokens',
      render: withFreshCatalog((c, p) => renderTokenTab(c, p, 'api')),
    },
    {
      id: 'access-tokens',
      label: 'Access tokens',
      render: withFreshCatalog((c, p) => renderTokenTab(c, p, 'access')),
    },
  ];
  if (isVendor) {
    tabs.push(
      { id: 'm2m', label: 'M2M settings', render: (panel) => renderM2m(ctx, panel) },
      { id: 'webhooks', label: 'Webhooks', render: (panel) => renderWebhooks(ctx, panel) },
      { id: 'tenants', label: 'Tenants & users', render: (panel) => renderTenants(ctx, panel) },
    );
  }
  const tablist = createTabs('Console sections', tabs, (id) => {
    history.replaceState(null, '', `#${id}`);
  });
  replace(
    main,
    h('h1', { class: 'visually-hidden' }, 'Console'),
    sidecarSetting(),
    tablist.element,
  );
  tablist.select(location.hash.slice(1));
}

signOutButton.addEventListener('click', () => signOut());

const session = loadSession();
if (session === undefined) showSignIn();
else showWorkspace(session);

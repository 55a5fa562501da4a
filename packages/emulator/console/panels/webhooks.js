import { confirmDanger } from '../dialog.js';
import { checkboxGroup, disclosureButton, errorLine, field, h, replace, table } from '../dom.js';
import { formatDate } from '../format.js';

const FRONTEGG_KEYS = [
  'frontegg.tenantApiToken.deleted',
  'frontegg.userApiToken.deleted',
  'frontegg.user.deleted',
  'frontegg.user.removedFromTenant',
  'frontegg.user.updated',
  'frontegg.tenant.deleted',
];
/** Portcullis's own keys: only for hooks with a Standard Webhooks secret. */
const PORTCULLIS_KEYS = [
  'm2m.disabled',
  'm2m.enabled',
  'm2m.strategy.changed',
  'token.revoked',
  'roles.updated',
];
/** The delivery log shows the newest this many. */
const LOG_ROWS = 50;

function lastAttempt(entry) {
  const attempt = entry.attempts[entry.attempts.length - 1];
  if (attempt === undefined) return '—';
  const outcome =
    attempt.status === undefined ? (attempt.error ?? 'no answer') : `HTTP ${attempt.status}`;
  return `${formatDate(attempt.at)}: ${outcome}`;
}

/**
 * Webhooks (vendor only): registered hooks (`GET /webhook`, `POST /webhook/custom`, `DELETE
 * /webhook/{id}`) and every delivery with its status and attempts (`GET /_emulator/webhook-logs`).
 */
export async function renderWebhooks(ctx, panel) {
  const heading = h('h2', {}, 'Webhooks');
  replace(panel, heading, h('p', { class: 'empty' }, 'Loading…'));
  let hooks;
  let logs;
  try {
    [hooks, { logs }] = await Promise.all([
      ctx.call('GET', '/webhook'),
      ctx.call('GET', '/_emulator/webhook-logs'),
    ]);
  } catch (error) {
    replace(panel, heading, h('p', { class: 'error', role: 'alert' }, error.message));
    return;
  }
  const rerender = () => renderWebhooks(ctx, panel);
  const names = new Map(hooks.map((hook) => [hook.id, hook.displayName]));

  const hookRows = hooks.map((hook) => [
    hook.displayName,
    h('code', {}, hook.url),
    hook.eventKeys.join(', '),
    hook.isActive ? 'active' : 'inactive',
    h(
      'button',
      {
        type: 'button',
        class: 'danger small',
        'aria-label': `Delete webhook ${hook.displayName}`,
        onclick: async () => {
          const confirmed = await confirmDanger(
            'Delete webhook?',
            `“${hook.displayName}” stops receiving events.`,
            'Delete webhook',
          );
          if (!confirmed) return;
          try {
            await ctx.call('DELETE', `/webhook/${encodeURIComponent(hook.id)}`);
            ctx.announce(`Deleted webhook ${hook.displayName}.`);
          } catch (error) {
            ctx.announce(`Could not delete: ${error.message}`);
          }
          await rerender();
        },
      },
      'Delete',
    ),
  ]);

  const deliveries = logs.slice(-LOG_ROWS).reverse();
  const logRows = deliveries.map((entry) => [
    h('code', {}, entry.eventKey),
    names.get(entry.hookId) ?? entry.url,
    h('span', { class: `badge ${entry.status}` }, entry.status),
    String(entry.attempts.length),
    lastAttempt(entry),
  ]);

  replace(
    panel,
    heading,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'hooks-title' },
      h('h3', { id: 'hooks-title' }, 'Registered hooks'),
      registerForm(ctx, rerender),
      hooks.length === 0
        ? h('p', { class: 'empty' }, 'No webhooks registered.')
        : table('Registered hooks', ['Name', 'URL', 'Events', 'State', 'Actions'], hookRows),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'deliveries-title' },
      h('h3', { id: 'deliveries-title' }, 'Delivery log'),
      h(
        'p',
        { class: 'intro' },
        'Failed deliveries are retried with exponential backoff; each attempt is listed.',
      ),
      h('button', { type: 'button', class: 'secondary', onclick: rerender }, 'Refresh'),
      deliveries.length === 0
        ? h('p', { class: 'empty' }, 'Nothing delivered yet.')
        : table('Delivery log', ['Event', 'Hook', 'Status', 'Attempts', 'Last attempt'], logRows),
    ),
  );
}

function registerForm(ctx, rerender) {
  const name = h('input', { type: 'text', required: true, maxlength: '256' });
  const url = h('input', {
    type: 'url',
    required: true,
    placeholder: 'http://127.0.0.1:8080/.portcullis/webhooks/frontegg',
  });
  const secret = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const standard = h('input', { type: 'text', autocomplete: 'off', placeholder: 'whsec_…' });
  const frontegg = checkboxGroup(
    'Frontegg events',
    FRONTEGG_KEYS.map((key) => ({ value: key, label: key })),
    FRONTEGG_KEYS,
  );
  const portcullis = checkboxGroup(
    'Portcullis events (need a Standard Webhooks secret)',
    PORTCULLIS_KEYS.map((key) => ({ value: key, label: key })),
  );
  const error = errorLine();
  const form = h(
    'form',
    {
      class: 'create',
      hidden: true,
      onsubmit: async (event) => {
        event.preventDefault();
        error.clear();
        const body = {
          displayName: name.value.trim(),
          url: url.value.trim(),
          secret: secret.value,
          eventKeys: [...frontegg.selected(), ...portcullis.selected()],
          isActive: true,
        };
        if (standard.value.trim() !== '') body.standardWebhooksSecret = standard.value.trim();
        try {
          await ctx.call('POST', '/webhook/custom', { body });
          ctx.announce(`Registered webhook ${body.displayName}.`);
          await rerender();
        } catch (caught) {
          error.show(caught.message);
        }
      },
    },
    field('Name', name),
    field('URL', url),
    field('Secret (x-webhook-secret signing key)', secret),
    field('Standard Webhooks secret (optional)', standard),
    h('div', { class: 'groups' }, frontegg.element, portcullis.element),
    error.element,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Register')),
  );
  form.id = 'register-hook';
  const toggle = disclosureButton('Register a webhook', form, name);
  return h('div', { class: 'create-wrap' }, toggle, form);
}

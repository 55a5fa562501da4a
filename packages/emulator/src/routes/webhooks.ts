import type { EmulatorApp } from '../app.js';
import { nowIso } from '../app.js';
import { requireVendor } from '../auth.js';
import { badRequest, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { objectBody, optionalBoolean, optionalString, requiredString } from '../http/validate.js';
import type { Json } from '../http/validate.js';
import { newId } from '../secrets.js';
import type { Webhook } from '../state.js';
import { PORTCULLIS_EVENT_KEYS } from '../webhooks/dispatcher.js';
import { decodeStandardSecret } from '../webhooks/signing.js';
import { webhookView } from '../views.js';

const PORTCULLIS_KEYS: readonly string[] = PORTCULLIS_EVENT_KEYS;
/** Frontegg's list of event keys is open: any `frontegg.*`, multi-segment keys included. */
const FRONTEGG_KEY = /^frontegg(\.[A-Za-z0-9_-]+)+$/;

/**
 * Validates hook fields. With `existing`, every field is optional (PATCH) and checked against the
 * existing values; without, the required ones must be present.
 */
function hookFields(input: Json, existing: Webhook | undefined): Partial<Webhook> {
  const fields: Partial<Webhook> = {};
  const need = (name: string): boolean => existing === undefined || input[name] !== undefined;
  if (need('displayName')) fields.displayName = requiredString(input, 'displayName', 256);
  if (need('url')) {
    const url = requiredString(input, 'url', 2048);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw badRequest('url must be an absolute http(s) URL');
    }
    fields.url = url;
  }
  if (need('secret')) fields.secret = requiredString(input, 'secret', 512);
  const description = optionalString(input, 'description');
  if (description !== undefined) fields.description = description;
  const isActive = optionalBoolean(input, 'isActive');
  if (isActive !== undefined) fields.isActive = isActive;
  const standardWebhooksSecret = optionalString(input, 'standardWebhooksSecret', 512);
  if (standardWebhooksSecret !== undefined) {
    if (!decodeStandardSecret(standardWebhooksSecret)) {
      throw badRequest('standardWebhooksSecret must be whsec_ followed by 24-64 base64 bytes');
    }
    fields.standardWebhooksSecret = standardWebhooksSecret;
  }
  if (need('eventKeys')) {
    const eventKeys = input['eventKeys'];
    if (
      !Array.isArray(eventKeys) ||
      eventKeys.length === 0 ||
      eventKeys.length > 100 ||
      !eventKeys.every((key) => typeof key === 'string' && key.length <= 256)
    ) {
      throw badRequest('eventKeys must be a non-empty array of event keys');
    }
    fields.eventKeys = [...new Set(eventKeys)];
  }
  const hasStandardSecret =
    (fields.standardWebhooksSecret ?? existing?.standardWebhooksSecret) !== undefined;
  for (const key of fields.eventKeys ?? []) {
    if (PORTCULLIS_KEYS.includes(key)) {
      if (!hasStandardSecret) {
        throw badRequest(`eventKey ${key} is a Portcullis key and requires standardWebhooksSecret`);
      }
    } else if (!FRONTEGG_KEY.test(key)) {
      throw badRequest(`Unknown eventKey ${key}`);
    }
  }
  return fields;
}

/** Webhook registration (Frontegg's portal routes, vendor token) and the delivery log. */
export function registerWebhookRoutes(router: Router, app: EmulatorApp): void {
  router.add('POST', '/webhook/custom', 'webhooks', async ({ headers, body }) => {
    await requireVendor(app, headers);
    const input = objectBody(body);
    const fields = hookFields(input, undefined);
    // Without `existing`, hookFields has checked displayName, url, secret and eventKeys are set.
    const hook = {
      _id: newId(),
      createdAt: nowIso(app),
      isActive: true,
      description: '',
      ...fields,
    } as Webhook;
    app.state.webhooks[hook._id] = hook;
    return { status: 201, body: webhookView(hook) };
  });

  router.add('PATCH', '/webhook/:id', 'webhooks', async ({ headers, params, body }) => {
    await requireVendor(app, headers);
    const hook = app.state.webhooks[params['id'] ?? ''];
    if (!hook) throw notFound(`Webhook ${params['id']} not found`);
    const updated = { ...hook, ...hookFields(objectBody(body), hook) };
    app.state.webhooks[hook._id] = updated;
    return { status: 200, body: webhookView(updated) };
  });

  router.add('GET', '/webhook', 'webhooks', async ({ headers }) => {
    await requireVendor(app, headers);
    return { status: 200, body: Object.values(app.state.webhooks).map(webhookView) };
  });

  router.add('DELETE', '/webhook/:id', 'webhooks', async ({ headers, params }) => {
    await requireVendor(app, headers);
    const id = params['id'] ?? '';
    if (!app.state.webhooks[id]) throw notFound(`Webhook ${id} not found`);
    delete app.state.webhooks[id];
    return { status: 200, body: {} };
  });

  router.add('GET', '/webhook/:id/logs', 'webhooks', async ({ headers, params }) => {
    await requireVendor(app, headers);
    const id = params['id'] ?? '';
    if (!app.state.webhooks[id]) throw notFound(`Webhook ${id} not found`);
    return { status: 200, body: { logs: app.webhooks.log(id) } };
  });
}

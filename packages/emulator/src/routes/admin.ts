import type { EmulatorApp } from '../app.js';
import { requireVendor } from '../auth.js';
import { FAULT_GROUPS, FAULT_MODES } from '../faults.js';
import type { FaultGroup, FaultMode } from '../faults.js';
import { badRequest } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { objectBody, optionalBoolean, optionalInteger } from '../http/validate.js';

/** `/_emulator/...`: test controls. They need the vendor token and are never faulted. */
export function registerAdminRoutes(router: Router, app: EmulatorApp): void {
  router.add('POST', '/_emulator/keys/rotate', 'admin', async ({ headers, body }) => {
    await requireVendor(app, headers);
    const graceMs = optionalInteger(objectBody(body), 'graceMs', 0, 30 * 86_400_000);
    const fresh = await app.keys.rotate(graceMs ?? app.keyGraceMs);
    return {
      status: 200,
      body: { kid: fresh.kid, published: app.keys.published().map((key) => key.kid) },
    };
  });

  router.add('POST', '/_emulator/faults', 'admin', async ({ headers, body }) => {
    await requireVendor(app, headers);
    const input = objectBody(body);
    const group = input['group'];
    const mode = input['mode'];
    if (!FAULT_GROUPS.includes(group as FaultGroup)) {
      throw badRequest(`group must be one of ${FAULT_GROUPS.join(', ')}`);
    }
    if (!FAULT_MODES.includes(mode as FaultMode)) {
      throw badRequest(`mode must be one of ${FAULT_MODES.join(', ')}`);
    }
    const latencyMs = optionalInteger(input, 'latencyMs', 0, 120_000);
    if (mode === 'latency' && latencyMs === undefined) {
      throw badRequest('latencyMs is required for mode latency');
    }
    app.faults.set({
      group: group as FaultGroup,
      mode: mode as FaultMode,
      latencyMs: latencyMs ?? 0,
    });
    return { status: 200, body: { faults: app.faults.list() } };
  });

  router.add('GET', '/_emulator/faults', 'admin', async ({ headers }) => {
    await requireVendor(app, headers);
    return { status: 200, body: { faults: app.faults.list() } };
  });

  router.add('DELETE', '/_emulator/faults', 'admin', async ({ headers }) => {
    await requireVendor(app, headers);
    app.faults.reset();
    return { status: 200, body: { faults: [] } };
  });

  router.add('POST', '/_emulator/webhooks/flush', 'admin', async ({ headers }) => {
    await requireVendor(app, headers);
    await app.webhooks.flush();
    return { status: 200, body: { pending: 0 } };
  });

  router.add('POST', '/_emulator/webhooks/switches', 'admin', async ({ headers, body }) => {
    await requireVendor(app, headers);
    const input = objectBody(body);
    for (const name of Object.keys(input)) {
      if (name !== 'omitClientId' && name !== 'dropDeliveries') {
        throw badRequest(`unknown switch ${name}: omitClientId, dropDeliveries`);
      }
    }
    const omitClientId = optionalBoolean(input, 'omitClientId');
    const dropDeliveries = optionalBoolean(input, 'dropDeliveries');
    if (omitClientId !== undefined) app.webhooks.switches.omitClientId = omitClientId;
    if (dropDeliveries !== undefined) app.webhooks.switches.dropDeliveries = dropDeliveries;
    return { status: 200, body: { ...app.webhooks.switches } };
  });

  router.add('GET', '/_emulator/webhooks/switches', 'admin', async ({ headers }) => {
    await requireVendor(app, headers);
    return { status: 200, body: { ...app.webhooks.switches } };
  });

  router.add('GET', '/_emulator/webhook-logs', 'admin', async ({ headers }) => {
    await requireVendor(app, headers);
    return { status: 200, body: { logs: app.webhooks.log() } };
  });
}

import { errorLine, field, h, replace, uid } from '../dom.js';

const CONFIGURATION = '/identity/resources/configurations/v1';

function radio(name, value, label, hint, checked) {
  const id = uid('radio');
  const hintId = `${id}-hint`;
  return h(
    'div',
    { class: 'choice' },
    h('input', { type: 'radio', id, name, value, checked, 'aria-describedby': hintId }),
    h('label', { for: id }, label),
    h('p', { class: 'hint', id: hintId }, hint),
  );
}

/**
 * M2M settings (vendor only): the environment configuration behind `GET/POST
 * /identity/resources/configurations/v1` — the on/off switch, the strategy and the default
 * token lifetime. Resource servers pick changes up on their next policy sync (or at once
 * through the `m2m.*` webhooks).
 */
export async function renderM2m(ctx, panel) {
  const heading = h('h2', {}, 'M2M settings');
  replace(panel, heading, h('p', { class: 'empty' }, 'Loading…'));
  let configuration;
  try {
    configuration = await ctx.call('GET', CONFIGURATION);
  } catch (error) {
    replace(panel, heading, h('p', { class: 'error', role: 'alert' }, error.message));
    return;
  }

  const enabled = h('input', {
    type: 'checkbox',
    id: uid('m2m-enabled'),
    checked: configuration.apiTokensEnabled,
  });
  const expiration = h('input', {
    type: 'number',
    min: '60',
    max: '31536000',
    required: true,
    inputmode: 'numeric',
    value: String(configuration.defaultTokenExpiration),
  });
  const strategyName = uid('strategy');
  const error = errorLine();
  const summary = h('p', { class: 'summary', 'data-role': 'm2m-summary' });
  const describe = (current) => {
    summary.textContent = `M2M tokens are ${current.apiTokensEnabled ? 'enabled' : 'disabled'}; strategy ${current.machineToMachineAuthStrategy}; tokens live ${current.defaultTokenExpiration} s.`;
  };
  describe(configuration);

  const form = h(
    'form',
    {
      class: 'card settings',
      onsubmit: async (event) => {
        event.preventDefault();
        error.clear();
        const strategy = form.querySelector(`input[name="${strategyName}"]:checked`)?.value;
        try {
          const saved = await ctx.call('POST', CONFIGURATION, {
            body: {
              apiTokensEnabled: enabled.checked,
              machineToMachineAuthStrategy: strategy,
              defaultTokenExpiration: Number(expiration.value),
            },
          });
          describe(saved);
          ctx.announce(`Saved. ${summary.textContent}`);
        } catch (caught) {
          error.show(caught.message);
        }
      },
    },
    h(
      'div',
      { class: 'switch' },
      enabled,
      h('label', { for: enabled.id }, 'M2M tokens enabled (apiTokensEnabled)'),
      h(
        'p',
        { class: 'hint' },
        'Off: token exchange and the vendor-only routes answer 403 “Api tokens are disabled” and nothing can be created. Nothing is deleted; switching back on restores every token.',
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Strategy (machineToMachineAuthStrategy)'),
      radio(
        strategyName,
        'ClientCredentials',
        'Client credentials',
        'API tokens: client ID and secret (HTTP Basic or the exchanged JWT).',
        configuration.machineToMachineAuthStrategy === 'ClientCredentials',
      ),
      radio(
        strategyName,
        'AccessToken',
        'Access tokens',
        'Long-lived JWTs checked as active (Bearer or X-API-Key).',
        configuration.machineToMachineAuthStrategy === 'AccessToken',
      ),
    ),
    field(
      'Default token expiration (seconds)',
      expiration,
      'Lifetime of issued JWTs (defaultTokenExpiration), 60 to 31536000.',
    ),
    error.element,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Save settings'),
    ),
  );
  replace(panel, heading, summary, form);
}

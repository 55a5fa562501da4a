/* global document, navigator */
import { h, uid } from './dom.js';
import { curlWithAccessToken, curlWithClientCredentials, normalizedSidecarUrl } from './format.js';
import { sidecarUrl } from './session.js';

/** Fired on `document` when the sidecar URL setting changes, so curl lines follow it. */
export const SIDECAR_EVENT = 'portcullis:sidecar-url';

async function copy(text, button, announce) {
  try {
    await navigator.clipboard.writeText(text);
    announce('Copied to the clipboard.');
  } catch {
    // No clipboard access (an insecure origin or a denied permission): select for Ctrl+C.
    const code = button.parentElement?.querySelector('code');
    if (code) document.getSelection()?.selectAllChildren(code);
    announce('Could not copy automatically: the text is selected, press Ctrl+C.');
    return;
  }
  const label = button.textContent;
  button.textContent = 'Copied';
  setTimeout(() => {
    button.textContent = label;
  }, 1500);
}

function copyRow(label, text, announce, role) {
  const code = h('code', { 'data-role': role }, text);
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary small',
      'aria-label': `Copy ${label.toLowerCase()}`,
      onclick: () => copy(code.textContent ?? '', button, announce),
    },
    'Copy',
  );
  return { row: h('div', { class: 'copy-row' }, code, button), code };
}

/**
 * The one-time view of a new credential: its secret with a copy button and a ready curl line
 * through the demo sidecar (Basic `-u clientId:secret` for client credentials, `X-API-Key` for
 * access tokens). The secret exists only in this element: closing it drops it for good.
 */
export function secretBox({ family, id, secret, announce, onDismiss }) {
  const titleId = uid('secret-title');
  const curlText = () => {
    const url = normalizedSidecarUrl(sidecarUrl()) ?? 'http://127.0.0.1:8080/';
    return family === 'api'
      ? curlWithClientCredentials(url, id, secret)
      : curlWithAccessToken(url, secret);
  };
  const curl = copyRow('Command', curlText(), announce, 'curl');
  const follow = () => {
    if (!box.isConnected) {
      document.removeEventListener(SIDECAR_EVENT, follow);
      return;
    }
    curl.code.textContent = curlText();
  };
  document.addEventListener(SIDECAR_EVENT, follow);

  const box = h(
    'div',
    { class: 'secret-box', role: 'region', 'aria-labelledby': titleId },
    h('h4', { id: titleId, tabindex: '-1' }, 'New credential — copy the secret now'),
    h('p', {}, 'It is shown only this once: the emulator keeps only a hash.'),
    h('p', { class: 'label' }, family === 'api' ? 'Client ID' : 'Token ID'),
    h('div', { class: 'copy-row' }, h('code', { 'data-role': 'token-id' }, id)),
    h('p', { class: 'label' }, family === 'api' ? 'Secret' : 'Access token'),
    copyRow('Secret', secret, announce, 'secret').row,
    h('p', { class: 'label' }, 'Try it through the demo sidecar'),
    curl.row,
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          document.removeEventListener(SIDECAR_EVENT, follow);
          box.remove();
          onDismiss?.();
        },
      },
      'Done, hide the secret',
    ),
  );
  return box;
}

#!/usr/bin/env node
// The `portcullis-emulator` command. A committed file rather than dist/cli.js itself, so npm links the bin on
// the first `npm install` of a fresh checkout, before anything is built (a bin whose target is
// missing is not linked, and stays unlinked until the next install).
const cli = new URL('../dist/cli.js', import.meta.url);
try {
  await import(cli.href);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(cli.pathname)) {
    console.error(
      'portcullis-emulator: not built yet; run `npm run build` in the repository first',
    );
    process.exit(1);
  }
  throw error;
}

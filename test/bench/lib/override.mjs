import { register } from 'node:module';

register('./override-hooks.mjs', import.meta.url);

// Public API of @portcullis/express/passport. Explicit named exports only.
import '../augment.js';
export { M2MBearerStrategy } from './bearer-strategy.js';
export { M2MBasicStrategy } from './basic-strategy.js';
export type { M2MStrategyOptions } from './strategy-options.js';
export type { StrategyAuthenticator } from './delegate.js';

export { startEmulator } from './emulator.js';
export type { EmulatorOptions, RunningEmulator } from './emulator.js';
export type { SeedFile } from './seed.js';
export type { RouteInfo, RouteOrigin, RouteGroup } from './http/router.js';

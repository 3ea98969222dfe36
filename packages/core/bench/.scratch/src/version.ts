import pkg from '../package.json' with { type: 'json' };

/** The version of @webcasa/core. */
export const CORE_VERSION: string = pkg.version;

/**
 * The plugin API version this SDK describes. A manifest's `engine` is a semver
 * range checked against the host's plugin API version (not the host package's
 * version), so a plugin keeps working across host releases until the contract
 * itself breaks. See docs/plugins/compatibility.md.
 */
export const PLUGIN_API_VERSION = '1.2.0';

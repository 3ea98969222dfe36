// The Sites shapes live in the plugin SDK, so plugins type `ctx.core.hosts` without depending on core.
export * from '@webcasa/plugin-sdk/hosts';

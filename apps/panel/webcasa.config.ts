import { defineDistribution } from '@webcasa/core';

/**
 * The default distribution. List the plugin packages it ships; each must also
 * be a dependency in package.json. (First-party plugins are added here as they
 * land: docker, deploy, ai-assistant, database, files, backup, monitor, app-store.)
 */
export default defineDistribution({
  name: 'Web.Casa',
  plugins: [
    '@webcasa/plugin-files',
    '@webcasa/plugin-monitor',
    '@webcasa/plugin-docker',
    '@webcasa/plugin-app-store',
  ],
});

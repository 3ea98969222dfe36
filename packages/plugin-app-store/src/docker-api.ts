// The docker plugin's service contract; importing it also brings the `PluginServices`
// augmentation (`ctx.use('docker')` typed as DockerService) into scope.
export type {
  DeployStackInput,
  DockerService,
  SafetyFinding,
  SafetyReview,
  StackInfo,
  StackRunResult,
} from '@webcasa/plugin-docker/api';

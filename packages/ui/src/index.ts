/**
 * @webcasa/ui — what the Web.Casa shell and its plugins share: the typed API
 * client, the shell's context (mode, language, theme, toasts, confirmations)
 * and accessible components. The shell loads exactly one copy (through its
 * import map), so a plugin's `useMode()` reads the same switch as the shell.
 */
export {
  type Api,
  ApiError,
  type ApiOptions,
  createApi,
  type HttpMethod,
  type Query,
  type RequestClient,
  type RequestOptions,
} from './api/client.js';
export type * from './api/types.js';
export { type Column, DataTable, type DataTableProps } from './components/DataTable.js';
export {
  ConfirmDialog,
  type ConfirmDialogProps,
  createConfirmService,
  Dialog,
  type DialogProps,
  focusableIn,
} from './components/Dialog.js';
export { Icon, type IconNode, registerIcons, setIconLoader } from './components/Icon.js';
export {
  type ChartGeometry,
  type ChartPoint,
  chartGeometry,
  LineChart,
  type LineChartProps,
} from './components/LineChart.js';
export { type LogLine, LogViewer, type LogViewerProps } from './components/LogViewer.js';
export { followRun, type RunFollower, RunProgress, type RunProgressProps } from './components/RunProgress.js';
export { SchemaForm, type SchemaFormProps } from './components/SchemaForm.js';
export { EmptyState, ErrorState, Loading } from './components/States.js';
export { createToaster, Toaster, type ToastItem } from './components/Toast.js';
export {
  type ConfirmOptions,
  type ModeControl,
  type PluginPageProps,
  type Shell,
  ShellProvider,
  type Theme,
  type ThemeControl,
  type ToastInput,
  useApi,
  useConfirm,
  useI18n,
  useMode,
  useShell,
  useTheme,
  useToast,
} from './context/shell.js';
export { format, type I18n, type Messages, uiMessages } from './i18n.js';
export {
  diffValues,
  type FieldSpec,
  fieldsOf,
  isVisible,
  type Problem,
  SECRET_MASK,
  validateAll,
  validateValue,
} from './schema.js';

/** This package's version, for diagnostics (e.g. proving one copy is loaded). */
export const UI_VERSION = '0.1.0';

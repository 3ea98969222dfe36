import type { Accessor } from 'solid-js';
import type { Locale } from './api/types.js';

export type Messages = Record<string, string>;

/** Translations of the shared components; the shell adds its own, plugins may add theirs. */
export const uiMessages: Record<Locale, Messages> = {
  en: {
    'ui.cancel': 'Cancel',
    'ui.confirm': 'Confirm',
    'ui.close': 'Close',
    'ui.save': 'Save',
    'ui.saving': 'Saving…',
    'ui.loading': 'Loading…',
    'ui.retry': 'Try again',
    'ui.filter': 'Filter',
    'ui.filterPlaceholder': 'Type to filter',
    'ui.noRows': 'Nothing to show',
    'ui.noMatch': 'No row matches the filter',
    'ui.page': 'Page {page} of {pages}',
    'ui.rows': '{count} rows',
    'ui.previous': 'Previous',
    'ui.next': 'Next',
    'ui.sortedAsc': 'sorted ascending',
    'ui.sortedDesc': 'sorted descending',
    'ui.required': 'is required',
    'ui.secretSet': 'A value is stored. Type to replace it.',
    'ui.secretShow': 'Show',
    'ui.secretHide': 'Hide',
    'ui.mustBeNumber': 'must be a number',
    'ui.mustBeInteger': 'must be a whole number',
    'ui.min': 'must be at least {n}',
    'ui.max': 'must be at most {n}',
    'ui.minLength': 'must be at least {n} characters',
    'ui.maxLength': 'must be at most {n} characters',
    'ui.pattern': 'does not have the expected format',
    'ui.oneOf': 'must be one of {values}',
    'ui.invalidJson': 'is not valid JSON',
    'ui.rawConfig': 'Raw values (JSON)',
    'ui.defaultValue': 'Default: {value}',
    'ui.hiddenFields': '{n} more settings in advanced mode',
    'ui.follow': 'Follow',
    'ui.logLines': '{count} lines',
    'ui.logEmpty': 'No log lines yet',
    'ui.download': 'Download',
    'ui.cancelRun': 'Cancel run',
    'ui.run.queued': 'Queued',
    'ui.run.running': 'Running',
    'ui.run.succeeded': 'Succeeded',
    'ui.run.failed': 'Failed',
    'ui.run.cancelled': 'Cancelled',
    'ui.run.interrupted': 'Interrupted',
    'ui.notifications': 'Notifications',
    'ui.dismiss': 'Dismiss',
    'ui.errorTitle': 'Something went wrong',
    'ui.chartSummary': '{label}: latest {last}, highest {max}',
    'ui.chartEmpty': 'No data yet',
  },
  'zh-CN': {
    'ui.cancel': '取消',
    'ui.confirm': '确认',
    'ui.close': '关闭',
    'ui.save': '保存',
    'ui.saving': '正在保存…',
    'ui.loading': '加载中…',
    'ui.retry': '重试',
    'ui.filter': '筛选',
    'ui.filterPlaceholder': '输入以筛选',
    'ui.noRows': '暂无内容',
    'ui.noMatch': '没有符合筛选条件的行',
    'ui.page': '第 {page} / {pages} 页',
    'ui.rows': '共 {count} 行',
    'ui.previous': '上一页',
    'ui.next': '下一页',
    'ui.sortedAsc': '升序',
    'ui.sortedDesc': '降序',
    'ui.required': '为必填项',
    'ui.secretSet': '已保存一个值。输入新值以替换。',
    'ui.secretShow': '显示',
    'ui.secretHide': '隐藏',
    'ui.mustBeNumber': '必须是数字',
    'ui.mustBeInteger': '必须是整数',
    'ui.min': '不能小于 {n}',
    'ui.max': '不能大于 {n}',
    'ui.minLength': '至少需要 {n} 个字符',
    'ui.maxLength': '最多 {n} 个字符',
    'ui.pattern': '格式不正确',
    'ui.oneOf': '必须是以下之一：{values}',
    'ui.invalidJson': '不是有效的 JSON',
    'ui.rawConfig': '原始值（JSON）',
    'ui.defaultValue': '默认值：{value}',
    'ui.hiddenFields': '高级模式下还有 {n} 项设置',
    'ui.follow': '跟随',
    'ui.logLines': '{count} 行',
    'ui.logEmpty': '暂无日志',
    'ui.download': '下载',
    'ui.cancelRun': '取消任务',
    'ui.run.queued': '排队中',
    'ui.run.running': '运行中',
    'ui.run.succeeded': '成功',
    'ui.run.failed': '失败',
    'ui.run.cancelled': '已取消',
    'ui.run.interrupted': '已中断',
    'ui.notifications': '通知',
    'ui.dismiss': '关闭',
    'ui.errorTitle': '出错了',
    'ui.chartSummary': '{label}：最新 {last}，最高 {max}',
    'ui.chartEmpty': '暂无数据',
  },
};

/** Replace `{name}` placeholders. */
export function format(template: string, params?: Record<string, unknown>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export interface I18n {
  locale: Accessor<Locale>;
  setLocale(locale: Locale): void;
  /** Translate a key; falls back to English, then to the key itself. */
  t(key: string, params?: Record<string, unknown>): string;
  /** Add (or override) messages, e.g. a plugin's own catalog. */
  addMessages(locale: Locale, messages: Messages): void;
  /** Format a time (epoch ms) for the current locale. */
  formatTime(ms: number | null | undefined): string;
}

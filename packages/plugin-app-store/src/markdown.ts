import { micromark } from 'micromark';

/**
 * An app's description (markdown from a third-party store) as HTML that is safe to put in
 * the page: micromark escapes raw HTML and drops `javascript:` and other dangerous URL
 * protocols unless told otherwise, and we never tell it otherwise.
 */
export function renderMarkdown(markdown: string): string {
  return micromark(markdown);
}

/** Labels on everything the panel creates, so it can tell its own containers from the rest. */
export const LABEL_MANAGED = 'casa.web.managed';
/** The compose project (stack) a container belongs to. */
export const LABEL_STACK = 'casa.web.stack';
/** The plugin that created the stack ("docker" for the UI, "app-store" for apps). */
export const LABEL_STACK_OWNER = 'casa.web.stack-owner';

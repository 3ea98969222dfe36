import { groups, icons } from 'virtual:webcasa/icons';
import { type IconNode, registerIcons, setIconLoader } from '@webcasa/ui';

/** Icons of the shell and the bundled plugins' menus are inline; others load by first letter. */
export function setupIcons(): void {
  registerIcons(icons);
  setIconLoader(async (name): Promise<IconNode | undefined> => {
    const group = groups[name[0] ?? ''];
    if (!group) return undefined;
    const chunk = await group();
    registerIcons(chunk.default);
    return chunk.default[name];
  });
}

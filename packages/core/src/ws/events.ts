import type { EventBus } from '@webcasa/event-bus';
import type { WsHub } from './hub.js';
import '../events.js';

/** Bus events the shell follows live (menus, routes, notifications). */
const FORWARDED = ['plugin.enabled', 'plugin.disabled', 'plugin.failed', 'panel.notification'] as const;

/**
 * `WS /ws/events`: pushes panel events to signed-in browsers as JSON
 * `{ type, payload, source, time }`, so the shell updates without reloading.
 */
export function registerEventSocket(hub: WsHub, bus: EventBus): () => void {
  return hub.route('/ws/events', (socket) => {
    const offs = FORWARDED.map((type) =>
      bus.on(type, (event) => {
        socket.send(
          JSON.stringify({
            type: event.type,
            payload: event.payload,
            source: event.source,
            time: event.time,
          }),
        );
      }),
    );
    socket.onClose(() => {
      for (const off of offs) off();
    });
  });
}

// The events this plugin emits, typed for every package that listens (and listed in manifest.json).
declare module '@webcasa/event-bus' {
  interface WebcasaEvents {
    '__ID__.item.created': { id: number; title: string };
  }
}

export {};

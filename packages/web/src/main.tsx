import '@webcasa/ui/styles.css';
import './shell.css';
import { render } from 'solid-js/web';
import { App } from './App.js';
import { setupIcons } from './icons.js';

setupIcons();
render(() => <App />, document.getElementById('app')!);

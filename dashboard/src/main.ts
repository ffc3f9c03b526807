/** Entry point: mounts the dashboard on #app. */
import './styles/base.css';
import './styles/header.css';
import './styles/layout.css';
import './styles/board.css';
import './styles/places.css';
import './styles/broadcast.css';
import './styles/sweeps.css';
import { App } from './app.js';

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const root = document.getElementById('app');
if (root) new App({ root, base: document.baseURI, storage: storage() }).start();

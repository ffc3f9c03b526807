/** Entry point: mounts the dashboard on #app. */
import './styles/base.css';
import './styles/header.css';
import './styles/layout.css';
import './styles/board.css';
import './styles/places.css';
import './styles/broadcast.css';
import './styles/sweeps.css';
import './styles/login.css';
import 'uplot/dist/uPlot.min.css';
import './styles/charts.css';
import './styles/map.css';
import { App } from './app.js';

/** A browser that refuses storage (private mode, policy) throws on access: run without it. */
function storage(kind: 'localStorage' | 'sessionStorage'): Storage | undefined {
  try {
    return window[kind];
  } catch {
    return undefined;
  }
}

const root = document.getElementById('app');
if (root) new App({ root, base: document.baseURI, storage: storage('localStorage'), sessionStorage: storage('sessionStorage') }).start();

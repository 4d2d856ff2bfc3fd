import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { connectShell } from './api/bridge';
import { ShellContext } from './api/shell-context';
import { App } from './app';
import './styles.css';

const root = document.getElementById('root');
if (root === null) {
  throw new Error('index.html has no #root element');
}

createRoot(root).render(
  <StrictMode>
    <ShellContext.Provider value={connectShell()}>
      <App />
    </ShellContext.Provider>
  </StrictMode>,
);

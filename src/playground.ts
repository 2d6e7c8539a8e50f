import { PetitEngine, PetitError } from './index.ts';

/** The API playground page: the library alone, on a plain page, for developers and end-to-end tests. */
const engine = new PetitEngine({ hubUrl: import.meta.env.VITE_PETIT_HUB_URL || undefined });
Object.assign(window, { petit: engine, PetitEngine, PetitError });
document.getElementById('state')!.textContent = 'Ready: `petit` is waiting in the console.';

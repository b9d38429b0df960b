// Plain-JavaScript entry of the worker thread: worker threads don't inherit the parent's module
// hooks, so TypeScript loading (tsx) is registered here before the server's code is imported.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

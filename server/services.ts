// Background services (outbox dispatcher, reminders, retention...). Each has an explicit start and
// stop so main.ts can start them after the database and stop them before it closes.
import type { AppContext } from './app.ts';

export interface BackgroundService {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

type ServiceFactory = (ctx: AppContext) => BackgroundService;

const factories: ServiceFactory[] = [];

/** Features register their background services here at import time. */
export function registerService(factory: ServiceFactory): void {
  factories.push(factory);
}

export function startServices(ctx: AppContext): { stop(): Promise<void>; services: BackgroundService[] } {
  const services = factories.map((f) => f(ctx));
  for (const s of services) {
    s.start();
    ctx.logger.info({ service: s.name }, 'service started');
  }
  return {
    services,
    async stop() {
      await Promise.allSettled(services.map((s) => s.stop()));
    },
  };
}
